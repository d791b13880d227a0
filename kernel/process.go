package kernel

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"oyako/fs"
	"oyako/kernel/mm"
)

// Process is a thread group (Linux's signal_struct and mm, fs and files
// pointers rolled together): its address space, descriptors, working
// directory, limits and threads.
type Process struct {
	PID  int32
	PPID int32
	PGID int32
	SID  int32

	// as is replaced by execve and cleared at exit; every system call
	// reads it, so it is an atomic pointer rather than under mu.
	as atomic.Pointer[mm.AddressSpace]

	mu      sync.Mutex
	fds     *fs.FDTable
	cwd     fs.Dir
	umask   uint32
	exe     string
	argv    []string
	tasks   map[int32]*Task
	rlimits [rlimNlimits][2]uint64
	// sigactions are recorded (delivery is stage 7).
	sigactions [65]Sigaction
	pending    uint64 // signals sent and not delivered (stage 7)
	exiting    bool
	exitStatus int // wait status (exit code << 8, or the signal)
	exitedCPU  int64
	done       chan struct{}
	name       [16]byte
}

// Sigaction is struct kernel_sigaction as rt_sigaction(2) passes it.
type Sigaction struct {
	Handler, Flags, Restorer, Mask uint64
}

// Root is the file system every process sees.
var Root *fs.Root

var (
	procMu  sync.Mutex
	procs         = map[int32]*Process{}
	tasks         = map[int32]*Task{}
	nextPID int32 = 1
)

func allocPID() int32 {
	procMu.Lock()
	defer procMu.Unlock()
	for {
		id := nextPID
		nextPID++
		if nextPID >= 1<<22 { // pid_max
			nextPID = 2
		}
		if procs[id] == nil && tasks[id] == nil {
			return id
		}
	}
}

// defaultRlimits are Linux's defaults for init (include/asm-generic/resource.h).
func defaultRlimits() [rlimNlimits][2]uint64 {
	inf := ^uint64(0)
	var r [rlimNlimits][2]uint64
	for i := range r {
		r[i] = [2]uint64{inf, inf}
	}
	r[3] = [2]uint64{8 << 20, inf}     // RLIMIT_STACK
	r[4] = [2]uint64{0, inf}           // RLIMIT_CORE
	r[6] = [2]uint64{4096, 4096}       // RLIMIT_NPROC (default for a small machine)
	r[7] = [2]uint64{1024, 4096}       // RLIMIT_NOFILE
	r[8] = [2]uint64{8 << 20, 8 << 20} // RLIMIT_MEMLOCK
	r[10] = [2]uint64{inf, inf}
	r[11] = [2]uint64{4096, 4096}     // RLIMIT_SIGPENDING
	r[12] = [2]uint64{819200, 819200} // RLIMIT_MSGQUEUE
	r[13] = [2]uint64{0, 0}           // RLIMIT_NICE
	r[14] = [2]uint64{0, 0}           // RLIMIT_RTPRIO
	return r
}

// AS returns the process's address space.
func (p *Process) AS() *mm.AddressSpace { return p.as.Load() }

// FDs returns the descriptor table.
func (p *Process) FDs() *fs.FDTable { return p.fds }

// Cwd returns the working directory.
func (p *Process) Cwd() fs.Dir {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cwd
}

// SetCwd changes the working directory.
func (p *Process) SetCwd(d fs.Dir) {
	p.mu.Lock()
	p.cwd = d
	p.mu.Unlock()
}

// Umask returns the file mode creation mask and sets it to mask if set.
func (p *Process) Umask(mask uint32, set bool) uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.umask
	if set {
		p.umask = mask & 0o777
	}
	return old
}

// Rlimit returns resource limit res.
func (p *Process) Rlimit(res int) [2]uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rlimits[res]
}

// SetRlimit sets resource limit res.
func (p *Process) SetRlimit(res int, v [2]uint64) {
	p.mu.Lock()
	p.rlimits[res] = v
	if res == 7 {
		p.fds.Limit = int32(min(v[0], 1<<20))
	}
	p.mu.Unlock()
}

// Sigaction returns signal sig's recorded action and sets it to act if
// act is not nil.
func (p *Process) Sigaction(sig int, act *Sigaction) Sigaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.sigactions[sig]
	if act != nil {
		p.sigactions[sig] = *act
	}
	return old
}

// Name returns the process's name (comm).
func (p *Process) Name() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.TrimRight(string(p.name[:]), "\x00")
}

// SetName sets the name (PR_SET_NAME, exec), truncated to 15 bytes.
func (p *Process) SetName(name string) {
	p.mu.Lock()
	p.name = [16]byte{}
	copy(p.name[:15], name)
	p.mu.Unlock()
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitStatus is the wait status once Done is closed.
func (p *Process) ExitStatus() int { return p.exitStatus }

// Exe implements fs.ProcessInfo.
func (p *Process) Exe() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exe
}

// Cmdline implements fs.ProcessInfo.
func (p *Process) Cmdline() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b []byte
	for _, a := range p.argv {
		b = append(append(b, a...), 0)
	}
	return b
}

// Maps implements fs.ProcessInfo: the text of /proc/PID/maps.
func (p *Process) Maps() string {
	as := p.AS()
	if as == nil {
		return ""
	}
	var b strings.Builder
	for _, v := range as.VMAs() {
		perm := []byte("---p")
		if v.Prot&mm.ProtRead != 0 {
			perm[0] = 'r'
		}
		if v.Prot&mm.ProtWrite != 0 {
			perm[1] = 'w'
		}
		if v.Prot&mm.ProtExec != 0 {
			perm[2] = 'x'
		}
		if v.Flags&mm.MapShared != 0 {
			perm[3] = 's'
		}
		off := v.Off
		if v.Obj == nil {
			off = 0
		}
		line := fmt.Sprintf("%08x-%08x %s %08x 00:00 0", v.Start, v.End, perm, off)
		if v.Name != "" {
			line = fmt.Sprintf("%-72s %s", line, v.Name)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// procTable implements fs.ProcSource.
type procTable struct{}

func (procTable) Process(pid int32) (fs.ProcessInfo, bool) {
	procMu.Lock()
	defer procMu.Unlock()
	p, ok := procs[pid]
	return p, ok
}

func (procTable) PIDs() []int32 {
	procMu.Lock()
	defer procMu.Unlock()
	var ids []int32
	for id := range procs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// Procs is the process table as /proc sees it.
var Procs fs.ProcSource = procTable{}

// ProcessByPID returns a live process.
func ProcessByPID(pid int32) *Process {
	procMu.Lock()
	defer procMu.Unlock()
	return procs[pid]
}
