package kernel

import (
	"sync/atomic"
	"unsafe"

	"gvisor.dev/gvisor/pkg/abi/linux/errno"

	"oyako/amd64"
	"oyako/kernel/klog"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/kernel/sched"
	"oyako/signals"
	"oyako/syscalls/sysno"
)

// KernelPID is the process ID the kernel's own runtime sees: pid 0, the
// one Linux gives its idle task.
const KernelPID = 0

// serviceCounts counts runtime service calls by number (served or not).
var serviceCounts [sysno.NR]uint64

// SyscallCounts counts user system calls by number; UserENOSYS counts
// those answered ENOSYS (unimplemented, or no such number).
var (
	SyscallCounts [sysno.NR]atomic.Uint64
	UserENOSYS    atomic.Uint64
)

// ServiceCalls returns how many times the kernel's own runtime made system
// call nr.
func ServiceCalls(nr uintptr) uint64 {
	if nr >= sysno.NR {
		return 0
	}
	return atomic.LoadUint64(&serviceCounts[nr])
}

// unserved counts calls the runtime services answered with ENOSYS.
var unserved uint64

// Service serves a system call that the kernel's own Go runtime made from
// ring 0. It runs on the calling thread's service stack with interrupts
// off; f is the caller's frame, and Service leaves the result in f.Regs.Rax.
// This is the one place runtime-service errors become -errno.
func Service(f *amd64.Frame) {
	nr := f.Regs.OrigRax
	if nr < sysno.NR {
		atomic.AddUint64(&serviceCounts[nr], 1)
	}
	if traceServices {
		traceCall(f, nr)
	}
	v, err := serve(f, nr)
	if err != 0 {
		f.Regs.Rax = uint64(-int64(err))
	} else {
		f.Regs.Rax = v
	}
	if traceServices {
		traceReturn(f, nr)
	}
}

// traceServices logs every runtime service call ("rtrace" on the kernel
// command line): what the Go runtime asks of the kernel, as strace would
// show it, with the monotonic time in microseconds and the thread ID.
var traceServices bool

func traceCall(f *amd64.Frame, nr uint64) {
	var l klog.Line
	r := &f.Regs
	l.S("rt ").U(uint64(ktime.Now() / 1000)).S(" [").D(int64(sched.Current().TID)).S("] ")
	if name := sysno.Name(nr); name != "" {
		l.S(name)
	} else {
		l.S("syscall_").U(nr)
	}
	l.S("(").X(r.Rdi).S(", ").X(r.Rsi).S(", ").X(r.Rdx).S(", ").X(r.R10).S(") ...").Always()
}

func traceReturn(f *amd64.Frame, nr uint64) {
	var l klog.Line
	l.S("rt ").U(uint64(ktime.Now() / 1000)).S(" [").D(int64(sched.Current().TID)).S("] ").S(sysno.Name(nr)).S(" = ").D(int64(f.Regs.Rax)).Always()
}

// serve dispatches one runtime service. The argument registers are those
// of the Linux x86-64 syscall ABI: RDI, RSI, RDX, R10, R8, R9.
func serve(f *amd64.Frame, nr uint64) (uint64, errno.Errno) {
	r := &f.Regs
	a0, a1, a2, a3, a4 := r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8
	switch nr {
	case sysno.SYS_read:
		return svcRead(a0, uintptr(a1), a2)
	case sysno.SYS_write:
		return svcWrite(a0, uintptr(a1), a2)
	case sysno.SYS_close:
		return 0, svcClose(a0)
	case sysno.SYS_openat, sysno.SYS_open:
		// The runtime probes /sys and /proc files; the kernel has no
		// files of its own to offer.
		return 0, errno.ENOENT
	case sysno.SYS_pread64:
		if _, err := getFD(a0); err != 0 {
			return 0, err
		}
		return 0, errno.ESPIPE
	case sysno.SYS_mmap:
		return svcMmap(uintptr(a0), uintptr(a1), a2, a3, int64(a4), r.R9)
	case sysno.SYS_munmap:
		return 0, mmErrno(mm.Kernel.Munmap(uintptr(a0), uintptr(a1)))
	case sysno.SYS_mprotect:
		return 0, mmErrno(mm.Kernel.Protect(uintptr(a0), uintptr(a1), uint32(a2)))
	case sysno.SYS_madvise:
		return svcMadvise(uintptr(a0), uintptr(a1), a2)
	case sysno.SYS_rt_sigaction:
		return svcRtSigaction(a0, uintptr(a1), uintptr(a2), a3)
	case sysno.SYS_rt_sigprocmask:
		return svcRtSigprocmask(a0, uintptr(a1), uintptr(a2), a3)
	case sysno.SYS_sigaltstack:
		return svcSigaltstack(uintptr(a0), uintptr(a1))
	case sysno.SYS_clone:
		return svcClone(f, a0, uintptr(a1), a4)
	case sysno.SYS_exit:
		sched.Exit()
		return 0, 0
	case sysno.SYS_exit_group:
		exitGroup(int(a0))
		return 0, 0
	case sysno.SYS_futex:
		return svcFutex(uintptr(a0), a1, uint32(a2), uintptr(a3))
	case sysno.SYS_nanosleep:
		return svcNanosleep(uintptr(a0))
	case sysno.SYS_clock_gettime:
		return svcClockGettime(a0, uintptr(a1))
	case sysno.SYS_clock_getres:
		return svcClockGetres(a0, uintptr(a1))
	case sysno.SYS_gettimeofday:
		if a0 != 0 {
			now := ktime.Realtime()
			putTimespec(uintptr(a0), now/1e9, now%1e9/1e3)
		}
		return 0, 0
	case sysno.SYS_sched_yield:
		sched.Yield()
		return 0, 0
	case sysno.SYS_getpid:
		return KernelPID, 0
	case sysno.SYS_gettid:
		return uint64(sched.Current().TID), 0
	case sysno.SYS_getuid, sysno.SYS_geteuid, sysno.SYS_getgid, sysno.SYS_getegid:
		return 0, 0
	case sysno.SYS_tgkill:
		return svcKill(int64(a0), int64(a1), a2, true)
	case sysno.SYS_tkill:
		return svcKill(KernelPID, int64(a0), a1, true)
	case sysno.SYS_kill:
		return svcKill(int64(a0), 0, a1, false)
	case sysno.SYS_getrandom:
		return svcGetrandom(uintptr(a0), a1, a2)
	case sysno.SYS_sched_getaffinity:
		return svcSchedGetaffinity(a0, a1, uintptr(a2))
	case sysno.SYS_prlimit64:
		return svcPrlimit(a0, a1, uintptr(a2), uintptr(a3))
	case sysno.SYS_getrlimit:
		return svcPrlimit(0, a0, 0, uintptr(a1))
	case sysno.SYS_setrlimit:
		return svcPrlimit(0, a0, uintptr(a1), 0)
	case sysno.SYS_fcntl:
		return svcFcntl(a0, a1, a2)
	case sysno.SYS_epoll_create1:
		return svcEpollCreate1(a0)
	case sysno.SYS_epoll_ctl:
		return svcEpollCtl(a0, a1, a2, uintptr(a3))
	case sysno.SYS_epoll_wait, sysno.SYS_epoll_pwait:
		return svcEpollWait(a0, uintptr(a1), int64(int32(a2)), int64(int32(a3)))
	case sysno.SYS_eventfd2:
		return svcEventfd2(a0, a1)
	case sysno.SYS_arch_prctl:
		return svcArchPrctl(f, a0, uintptr(a1))
	case sysno.SYS_prctl:
		return svcPrctl(a0, uintptr(a1))
	case SysRunUser:
		return svcRunUser(f, uintptr(a0), a1)
	case sysArmKick:
		svcArmKick()
		return 0, 0
	case sysno.SYS_ioctl:
		if _, err := getFD(a0); err != 0 {
			return 0, err
		}
		return 0, errno.ENOTTY
	}
	unservedCall(nr)
	return 0, errno.ENOSYS
}

// unservedCall logs the first call of each unserved number.
func unservedCall(nr uint64) {
	n := atomic.AddUint64(&unserved, 1)
	if nr < sysno.NR && serviceCounts[nr] > 1 {
		return
	}
	var l klog.Line
	l.S("oyako: runtime service: syscall ").U(nr)
	if name := sysno.Name(nr); name != "" {
		l.S(" (").S(name).S(")")
	}
	l.S(" not implemented: ENOSYS [").U(n).S(" unserved so far]").Print()
}

func mmErrno(err mm.Err) errno.Errno {
	switch err {
	case mm.OK:
		return 0
	case mm.ErrNoMemory:
		return errno.ENOMEM
	case mm.ErrExists:
		return errno.EEXIST
	case mm.ErrNotFound:
		return errno.ENOMEM // as mprotect(2) on unmapped memory
	}
	return errno.EINVAL
}

// mmap(2) flags.
const (
	mapShared         = 0x01
	mapPrivate        = 0x02
	mapFixed          = 0x10
	mapAnonymous      = 0x20
	mapNoreserve      = 0x4000
	mapPopulate       = 0x8000
	mapFixedNoreplace = 0x100000
)

func svcMmap(addr, length uintptr, prot, flags uint64, fd int64, off uint64) (uint64, errno.Errno) {
	if flags&mapAnonymous == 0 {
		return 0, errno.EBADF // the kernel runtime has no files to map
	}
	if flags&(mapShared|mapPrivate) == 0 {
		return 0, errno.EINVAL
	}
	fixed := flags&(mapFixed|mapFixedNoreplace) != 0
	a, err := mm.Kernel.Mmap(addr, length, uint32(prot), fixed, flags&mapFixedNoreplace != 0)
	if err != mm.OK {
		return 0, mmErrno(err)
	}
	if flags&mapPopulate != 0 {
		mm.Kernel.Populate(a, length)
	}
	return uint64(a), 0
}

// madvise(2) advice values.
const (
	madvDontneed   = 4
	madvFree       = 8
	madvHugepage   = 14
	madvNohugepage = 15
	madvCollapse   = 25
)

func svcMadvise(addr, length uintptr, advice uint64) (uint64, errno.Errno) {
	switch advice {
	case madvDontneed, madvFree:
		return 0, mmErrno(mm.Kernel.Discard(addr, length))
	case madvHugepage, madvNohugepage, madvCollapse:
		return 0, 0 // no transparent huge pages: nothing to change
	}
	return 0, errno.EINVAL
}

// The kernel runtime's signal dispositions, recorded: nothing delivers
// signals to ring 0 yet (DESIGN.md §1), but the runtime reads back what it set.
type kSigaction struct {
	handler, flags, restorer, mask uint64
}

var sigactions [65]kSigaction

func svcRtSigaction(sig uint64, act, oact uintptr, size uint64) (uint64, errno.Errno) {
	if size != 8 {
		return 0, errno.EINVAL
	}
	if sig < 1 || sig > 64 || (act != 0 && (sig == signals.SIGKILL || sig == signals.SIGSTOP)) {
		return 0, errno.EINVAL
	}
	old := sigactions[sig]
	if act != 0 {
		sigactions[sig] = *(*kSigaction)(amd64.Ptr(act))
		sigactions[sig].flags &= signals.UAPIFlags
		sigactions[sig].mask &^= signals.Unblockable
	}
	if oact != 0 {
		*(*kSigaction)(amd64.Ptr(oact)) = old
	}
	return 0, 0
}

func svcRtSigprocmask(how uint64, set, oset uintptr, size uint64) (uint64, errno.Errno) {
	if size != 8 {
		return 0, errno.EINVAL
	}
	t := sched.Current()
	old := t.SigMask
	if set != 0 {
		mask, ok := signals.ApplyMask(old, how, *(*uint64)(amd64.Ptr(set)))
		if !ok {
			return 0, errno.EINVAL
		}
		t.SigMask = mask
	}
	if oset != 0 {
		*(*uint64)(amd64.Ptr(oset)) = old
	}
	return 0, 0
}

func svcSigaltstack(ss, oss uintptr) (uint64, errno.Errno) {
	const (
		ssDisable   = 2
		minSigStksz = 2048
	)
	t := sched.Current()
	old := t.AltStack
	if old[2] == 0 {
		old[1] = ssDisable
	}
	if ss != 0 {
		n := *(*[3]uint64)(amd64.Ptr(ss))
		if n[1]&^ssDisable != 0 {
			return 0, errno.EINVAL
		}
		if n[1]&ssDisable == 0 && n[2] < minSigStksz {
			return 0, errno.ENOMEM
		}
		if n[1]&ssDisable != 0 {
			n = [3]uint64{0, 0, 0}
		}
		t.AltStack = n
	}
	if oss != 0 {
		*(*[3]uint64)(amd64.Ptr(oss)) = old
	}
	return 0, 0
}

// clone(2) flags.
const (
	cloneVM          = 0x100
	cloneFS          = 0x200
	cloneFiles       = 0x400
	cloneSighand     = 0x800
	cloneThread      = 0x10000
	cloneSysvsem     = 0x40000
	cloneSettls      = 0x80000
	cloneThreadFlags = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread | cloneSysvsem
)

// svcClone creates a thread for the runtime (a new M). The child resumes
// after the SYSCALL instruction with RAX = 0, the parent's other registers,
// the given stack and, with CLONE_SETTLS, the given FS base.
func svcClone(f *amd64.Frame, flags uint64, stack uintptr, tls uint64) (uint64, errno.Errno) {
	if flags&^(cloneThreadFlags|cloneSettls) != 0 || flags&cloneThreadFlags != cloneThreadFlags {
		// The kernel runtime only ever creates threads in its own process.
		return 0, errno.EINVAL
	}
	child := *f
	child.Regs.Rax = 0
	if stack != 0 {
		child.Regs.Rsp = uint64(stack)
	}
	if flags&cloneSettls != 0 {
		child.FSBase = tls
	}
	t, err := sched.Spawn(&child)
	if err != mm.OK {
		return 0, errno.EAGAIN
	}
	return uint64(t.TID), 0
}

// futex(2) operations.
const (
	futexWait          = 0
	futexWake          = 1
	futexPrivateFlag   = 128
	futexClockRealtime = 256
)

func svcFutex(addr uintptr, op uint64, val uint32, timeout uintptr) (uint64, errno.Errno) {
	if addr&3 != 0 {
		return 0, errno.EINVAL
	}
	switch op &^ (futexPrivateFlag | futexClockRealtime) {
	case futexWait:
		if op&futexClockRealtime != 0 {
			return 0, errno.ENOSYS // as Linux for FUTEX_WAIT
		}
		var deadline int64
		if timeout != 0 {
			d, err := relativeDeadline(timeout)
			if err != 0 {
				return 0, err
			}
			deadline = d
		}
		if atomic.LoadUint32((*uint32)(amd64.Ptr(addr))) != val {
			return 0, errno.EAGAIN
		}
		if sched.FutexWait(uint64(addr), deadline) == sched.TimedOut {
			return 0, errno.ETIMEDOUT
		}
		return 0, 0
	case futexWake:
		return uint64(sched.FutexWake(uint64(addr), int(int32(val)))), 0
	}
	return 0, errno.ENOSYS
}

// relativeDeadline turns a relative struct timespec into a monotonic deadline.
func relativeDeadline(ts uintptr) (int64, errno.Errno) {
	sec, nsec := getTimespec(ts)
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, errno.EINVAL
	}
	d := ktime.Now() + nsec
	if sec > (1<<62)/1_000_000_000 {
		return 1 << 62, 0
	}
	return d + sec*1e9, 0
}

func getTimespec(a uintptr) (sec, nsec int64) {
	p := (*[2]int64)(amd64.Ptr(a))
	return p[0], p[1]
}

func putTimespec(a uintptr, sec, nsec int64) {
	p := (*[2]int64)(amd64.Ptr(a))
	p[0], p[1] = sec, nsec
}

func svcNanosleep(req uintptr) (uint64, errno.Errno) {
	d, err := relativeDeadline(req)
	if err != 0 {
		return 0, err
	}
	for ktime.Now() < d {
		sched.Current().WaitObj = 0
		sched.Block(d)
	}
	return 0, 0
}

// Clock IDs (include/uapi/linux/time.h).
// clockNow returns a clock's time for the kernel's own runtime: the
// system-wide clocks as user programs see them; CPU-time accounting is not
// kept for kernel threads.
//
//go:nosplit
func clockNow(clk uint64) (int64, errno.Errno) {
	if clk > 0x7fffffff {
		return 0, errno.EINVAL
	}
	if ns, ok := ktime.Clock(int32(clk)); ok {
		return ns, 0
	}
	return 0, errno.EINVAL
}

func svcClockGettime(clk uint64, ts uintptr) (uint64, errno.Errno) {
	now, err := clockNow(clk)
	if err != 0 {
		return 0, err
	}
	putTimespec(ts, now/1e9, now%1e9)
	return 0, 0
}

func svcClockGetres(clk uint64, ts uintptr) (uint64, errno.Errno) {
	if _, err := clockNow(clk); err != 0 {
		return 0, err
	}
	res, _ := ktime.ClockRes(int32(clk))
	if ts != 0 {
		putTimespec(ts, 0, res)
	}
	return 0, 0
}

func svcKill(tgid, tid int64, sig uint64, toThread bool) (uint64, errno.Errno) {
	if sig > 64 || (toThread && tid <= 0) {
		return 0, errno.EINVAL
	}
	if tgid != KernelPID {
		return 0, errno.ESRCH
	}
	if toThread && sched.ByTID(int32(tid)) == nil {
		return 0, errno.ESRCH
	}
	if sig == 0 {
		return 0, 0
	}
	var l klog.Line
	l.S("oyako: runtime service: signal ").U(sig).S(" to kernel thread ").D(tid).S(" not delivered (no signal delivery to ring 0)").Print()
	return 0, 0
}

const (
	grndNonblock = 1
	grndRandom   = 2
	grndInsecure = 4
)

var rngState uint64 // fallback generator state when the CPU has no RDRAND

func svcGetrandom(buf uintptr, n, flags uint64) (uint64, errno.Errno) {
	if flags&^(grndNonblock|grndRandom|grndInsecure) != 0 || flags&(grndRandom|grndInsecure) == grndRandom|grndInsecure {
		return 0, errno.EINVAL
	}
	b := unsafe.Slice((*byte)(amd64.Ptr(buf)), n)
	for i := 0; i < len(b); i += 8 {
		v := RandomUint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return n, 0
}

// RandomUint64 returns 64 random bits from RDSEED or RDRAND. Without
// either (not on the CPUs QEMU emulates with -cpu max), it falls back to a
// TSC-seeded xorshift generator, which is not cryptographically strong.
func RandomUint64() uint64 {
	if amd64.CPU.Has(amd64.FeatureRDRAND) {
		for i := 0; i < 10; i++ {
			if v, ok := amd64.Rdrand(); ok {
				return v
			}
		}
	}
	if amd64.CPU.Has(amd64.FeatureRDSEED) {
		for i := 0; i < 10; i++ {
			if v, ok := amd64.Rdseed(); ok {
				return v
			}
		}
	}
	if rngState == 0 {
		rngState = amd64.Rdtsc() | 1
	}
	x := rngState ^ amd64.Rdtsc()<<17
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	rngState = x
	return x * 0x2545f4914f6cdd1d
}

func svcSchedGetaffinity(pid, size uint64, mask uintptr) (uint64, errno.Errno) {
	if size < 8 || size%8 != 0 {
		return 0, errno.EINVAL
	}
	if pid != 0 && sched.ByTID(int32(pid)) == nil {
		return 0, errno.ESRCH
	}
	*(*uint64)(amd64.Ptr(mask)) = 1<<amd64.MaxCPUs - 1
	return 8, 0
}

// Resource limits of the kernel runtime (getrlimit(2)).
const rlimNlimits = 16

var rlimits = [rlimNlimits][2]uint64{
	3: {8 << 20, ^uint64(0)},          // RLIMIT_STACK
	7: {maxRuntimeFDs, maxRuntimeFDs}, // RLIMIT_NOFILE
}

func svcPrlimit(pid, res uint64, newLim, oldLim uintptr) (uint64, errno.Errno) {
	if res >= rlimNlimits {
		return 0, errno.EINVAL
	}
	if pid != 0 && pid != KernelPID {
		return 0, errno.ESRCH
	}
	cur := rlimits[res]
	if cur == [2]uint64{} {
		cur = [2]uint64{^uint64(0), ^uint64(0)}
	}
	var n [2]uint64
	if newLim != 0 {
		n = *(*[2]uint64)(amd64.Ptr(newLim))
		if n[0] > n[1] {
			return 0, errno.EINVAL
		}
		if n[1] > cur[1] {
			return 0, errno.EPERM
		}
	}
	if oldLim != 0 {
		*(*[2]uint64)(amd64.Ptr(oldLim)) = cur
	}
	if newLim != 0 {
		rlimits[res] = n
	}
	return 0, 0
}

// arch_prctl(2) codes.
const (
	archSetGS = 0x1001
	archSetFS = 0x1002
	archGetFS = 0x1003
	archGetGS = 0x1004
)

func svcArchPrctl(f *amd64.Frame, code uint64, addr uintptr) (uint64, errno.Errno) {
	switch code {
	case archSetFS:
		if uint64(addr) >= 1<<47 && uint64(addr) < 0xffff800000000000 {
			return 0, errno.EPERM // non-canonical
		}
		// The entry path loads the caller's FS base from the frame on return.
		f.FSBase = uint64(addr)
		return 0, 0
	case archGetFS:
		*(*uint64)(amd64.Ptr(addr)) = f.FSBase
		return 0, 0
	case archSetGS, archGetGS:
		// GS is the kernel's per-CPU base in ring 0.
		return 0, errno.EPERM
	}
	return 0, errno.EINVAL
}

const (
	prSetName = 15
	prGetName = 16
)

func svcPrctl(option uint64, arg uintptr) (uint64, errno.Errno) {
	switch option {
	case prSetName, prGetName:
		return 0, 0
	}
	// PR_SET_VMA and the rest: not supported for the kernel runtime.
	return 0, errno.EINVAL
}

// exitGroup ends the kernel: its Go program exited (main returned, or the
// runtime died of a panic or fatal error).
func exitGroup(status int) {
	if status != 0 {
		var l klog.Line
		l.S("oyako: the kernel's Go runtime exited with status ").D(int64(status)).Always()
	}
	PowerOff(status)
}

// RandomBytes fills b from the CPU's random number generator.
func RandomBytes(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := RandomUint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
}
