package syscalls

import (
	"bytes"
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/kernel"
	"oyako/kernel/mm"
	"oyako/kernel/task"
)

// sysNewuname implements uname(2).
func sysNewuname(t *task.Task, a *Args) (uintptr, error) {
	u := task.UTS()
	b := make([]byte, 6*utsFieldLen)
	for i, s := range []string{u.Sysname, u.Nodename, u.Release, u.Version, u.Machine, u.Domainname} {
		copy(b[utsFieldLen*i:utsFieldLen*i+utsFieldLen-1], s)
	}
	return 0, t.CopyOut(a[0], b)
}

// utsFieldLen is the size of a struct new_utsname field
// (__NEW_UTS_LEN + 1).
const utsFieldLen = 65

// sysSethostname implements sethostname(2).
func sysSethostname(t *task.Task, a *Args) (uintptr, error) {
	name, err := utsName(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	task.SetHostname(name)
	return 0, nil
}

// sysSetdomainname implements setdomainname(2).
func sysSetdomainname(t *task.Task, a *Args) (uintptr, error) {
	name, err := utsName(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	task.SetDomainname(name)
	return 0, nil
}

// utsName reads a new UTS name as sethostname and setdomainname do:
// EPERM without CAP_SYS_ADMIN (an effective root ID), EINVAL for a
// length beyond 64, EFAULT for an unreadable buffer. The name is the
// bytes given, up to a NUL.
func utsName(t *task.Task, addr uintptr, n uintptr) (string, error) {
	if t.Proc.Creds().EUID != 0 {
		return "", linuxerr.EPERM
	}
	l := int32(n) // an int
	if l < 0 || l > utsFieldLen-1 {
		return "", linuxerr.EINVAL
	}
	b := make([]byte, l)
	if err := t.CopyIn(addr, b); err != nil {
		return "", err
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), nil
}

// getrandom(2) flags.
const (
	grndNonblock = 1
	grndRandom   = 2
	grndInsecure = 4
)

// sysGetrandom implements getrandom(2) from the CPU's RDRAND/RDSEED.
func sysGetrandom(t *task.Task, a *Args) (uintptr, error) {
	n, flags := a[1], a[2]
	if flags&^(grndNonblock|grndRandom|grndInsecure) != 0 || flags&(grndRandom|grndInsecure) == grndRandom|grndInsecure {
		return 0, linuxerr.EINVAL
	}
	// import_ubuf: at most MAX_RW_COUNT, and a range in the user half.
	n = min(n, maxRWCount)
	if err := accessOK(a[0], n); err != nil {
		return 0, err
	}
	// get_random_bytes_user fills the buffer a block at a time: the
	// kernel never holds more than one block whatever the length, and a
	// fault after some bytes were copied ends the call with their count.
	// No block crosses a page of the buffer, so that the count is
	// exactly what precedes the first page that faults.
	var buf [256]byte
	done := uintptr(0)
	for done < n {
		toPage := mm.PageSize - (a[0]+done)%mm.PageSize
		b := buf[:min(n-done, uintptr(len(buf)), toPage)]
		kernel.RandomBytes(b)
		if err := t.CopyOut(a[0]+done, b); err != nil {
			r, err := partial(int(done), err)
			return r, err
		}
		done += uintptr(len(b))
	}
	return n, nil
}

// sysGetpriority implements getpriority(2). The system call returns
// 20 - nice (1 to 40), so that no result looks like an error.
func sysGetpriority(t *task.Task, a *Args) (uintptr, error) {
	p, err := t.GetPriority(int(int32(a[0])), int32(a[1]))
	return uintptr(p), err
}

// sysSetpriority implements setpriority(2).
func sysSetpriority(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.SetPriority(int(int32(a[0])), int32(a[1]), int32(a[2]))
}

// sysSchedGetaffinity implements sched_getaffinity(2): every task may run
// on the one CPU. It returns the size of the kernel's cpumask (8 bytes).
func sysSchedGetaffinity(t *task.Task, a *Args) (uintptr, error) {
	const cpumaskSize = 8
	if int32(a[0]) < 0 {
		return 0, linuxerr.ESRCH
	}
	if a[0] != 0 && task.TaskByTID(int32(a[0])) == nil {
		return 0, linuxerr.ESRCH
	}
	if a[1]*8 < amd64.MaxCPUs || a[1]&7 != 0 {
		return 0, linuxerr.EINVAL
	}
	return cpumaskSize, copyOutU64(t, a[2], 1<<amd64.MaxCPUs-1)
}

// sysSchedSetaffinity implements sched_setaffinity(2): the mask must
// include CPU 0.
func sysSchedSetaffinity(t *task.Task, a *Args) (uintptr, error) {
	if a[0] != 0 && task.TaskByTID(int32(a[0])) == nil {
		return 0, linuxerr.ESRCH
	}
	if a[1] < 8 {
		return 0, linuxerr.EINVAL
	}
	m, err := copyInU64(t, a[2])
	if err != nil {
		return 0, err
	}
	if m&1 == 0 {
		return 0, linuxerr.EINVAL
	}
	return 0, nil
}

// Resource limits (include/uapi/asm-generic/resource.h).
const (
	rlimitNofile = 7
	rlimNlimits  = 16
	nrOpen       = 1 << 20 // fs.nr_open
)

// sysPrlimit64 implements prlimit64(2) (as root, who may raise limits).
func sysPrlimit64(t *task.Task, a *Args) (uintptr, error) {
	p := t.Proc
	if pid := int32(a[0]); pid != 0 && pid != p.PID {
		if p = task.ProcessByPID(pid); p == nil {
			return 0, linuxerr.ESRCH
		}
	}
	return 0, rlimit(t, p, int(a[1]), a[2], a[3])
}

// sysGetrlimit implements getrlimit(2).
func sysGetrlimit(t *task.Task, a *Args) (uintptr, error) {
	return 0, rlimit(t, t.Proc, int(a[0]), 0, a[1])
}

// sysSetrlimit implements setrlimit(2).
func sysSetrlimit(t *task.Task, a *Args) (uintptr, error) {
	return 0, rlimit(t, t.Proc, int(a[0]), a[1], 0)
}

func rlimit(t *task.Task, p *task.Process, res int, newAddr, oldAddr uintptr) error {
	if res < 0 || res >= rlimNlimits {
		return linuxerr.EINVAL
	}
	var nv [2]uint64
	if newAddr != 0 {
		var b [16]byte
		if err := t.CopyIn(newAddr, b[:]); err != nil {
			return err
		}
		nv = [2]uint64{binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint64(b[8:])}
		if nv[0] > nv[1] {
			return linuxerr.EINVAL
		}
		if res == rlimitNofile && nv[1] > nrOpen {
			return linuxerr.EPERM
		}
	}
	old := p.Rlimit(res)
	if oldAddr != 0 {
		var b [16]byte
		putU64(b[:], 0, old[0])
		putU64(b[:], 8, old[1])
		if err := t.CopyOut(oldAddr, b[:]); err != nil {
			return err
		}
	}
	if newAddr != 0 {
		p.SetRlimit(res, nv)
	}
	return nil
}

// arch_prctl(2) codes.
const (
	archSetGS    = 0x1001
	archSetFS    = 0x1002
	archGetFS    = 0x1003
	archGetGS    = 0x1004
	archGetCPUID = 0x1011
	archSetCPUID = 0x1012
)

// sysArchPrctl implements arch_prctl(2).
func sysArchPrctl(t *task.Task, a *Args) (uintptr, error) {
	f := t.Frame()
	switch a[0] {
	case archSetFS, archSetGS:
		if uint64(a[1]) >= taskSizeMax {
			return 0, linuxerr.EPERM
		}
		if a[0] == archSetFS {
			f.FSBase = uint64(a[1])
		} else {
			f.GSBase = uint64(a[1])
		}
		return 0, nil
	case archGetFS:
		return 0, copyOutU64(t, a[1], f.FSBase)
	case archGetGS:
		return 0, copyOutU64(t, a[1], f.GSBase)
	case archGetCPUID:
		return 1, nil // CPUID is not trapped
	case archSetCPUID:
		return 0, linuxerr.ENODEV // no CPUID faulting
	}
	return 0, linuxerr.EINVAL
}

// prctl(2) options.
const (
	prSetPdeathsig  = 1
	prGetPdeathsig  = 2
	prGetDumpable   = 3
	prSetDumpable   = 4
	prGetKeepcaps   = 7
	prSetKeepcaps   = 8
	prSetName       = 15
	prGetName       = 16
	prSetNoNewPrivs = 38
	prGetNoNewPrivs = 39
)

// sysPrctl implements the prctl(2) options programs commonly use; the
// rest (PR_SET_VMA among them) are EINVAL, as on a kernel without them.
func sysPrctl(t *task.Task, a *Args) (uintptr, error) {
	switch a[0] {
	case prSetName:
		name, err := t.CopyInString(a[1], 4096)
		if err != nil && !linuxerr.Equals(linuxerr.ENAMETOOLONG, err) {
			return 0, err
		}
		t.SetComm(name)
		return 0, nil
	case prGetName:
		b := make([]byte, 16)
		copy(b, t.Comm())
		return 0, t.CopyOut(a[1], b)
	case prSetPdeathsig:
		if a[1] > 64 {
			return 0, linuxerr.EINVAL
		}
		t.Proc.SetPdeathSig(int(a[1]))
		return 0, nil
	case prGetPdeathsig:
		return 0, copyOutU32(t, a[1], uint32(t.Proc.PdeathSig()))
	case prGetDumpable:
		return 1, nil
	case prSetDumpable:
		if a[1] > 1 {
			return 0, linuxerr.EINVAL
		}
		return 0, nil
	case prSetNoNewPrivs:
		if a[1] != 1 || a[2]|a[3]|a[4] != 0 {
			return 0, linuxerr.EINVAL
		}
		return 0, nil
	case prGetNoNewPrivs:
		return 0, nil
	case prGetKeepcaps:
		return uintptr(t.KeepCaps()), nil
	case prSetKeepcaps:
		if a[1] > 1 {
			return 0, linuxerr.EINVAL
		}
		t.SetKeepCaps(int(a[1]))
		return 0, nil
	}
	return 0, linuxerr.EINVAL
}

// sysGetcpu implements getcpu(2): CPU 0, node 0.
func sysGetcpu(t *task.Task, a *Args) (uintptr, error) {
	if a[0] != 0 {
		if err := copyOutU32(t, a[0], 0); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		return 0, copyOutU32(t, a[1], 0)
	}
	return 0, nil
}

// sysSysinfo implements sysinfo(2): uptime, load averages (16 fraction
// bits), memory in bytes (mem_unit 1), and the number of threads.
func sysSysinfo(t *task.Task, a *Args) (uintptr, error) {
	b := make([]byte, 112)
	putU64(b, 0, uint64(kernel.Uptime()/1e9))
	for i, l := range task.LoadAvg() {
		putU64(b, 8+8*i, l<<(16-11))
	}
	total, free := kernel.MemTotals()
	_, shmem := mm.CacheStats()
	putU64(b, 32, total)
	putU64(b, 40, free)
	putU64(b, 48, shmem*mm.PageSize) // sharedram: NR_SHMEM
	putU16(b, 80, uint16(min(task.NrThreads(), 0xffff)))
	putU32(b, 104, 1)
	return 0, t.CopyOut(a[0], b)
}
