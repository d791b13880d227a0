package task

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"oyako/fs"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
)

// Process is a thread group (Linux's signal_struct together with what its
// tasks' mm, files, fs and sighand pointers reach): its address space,
// descriptors, working directory, signal state, credentials and threads,
// and its place in the process tree, process groups and sessions.
//
// Locking: procMu (Linux's tasklist_lock) guards the process table, the
// tree (parent, children, state), process group and session IDs and
// controlling terminals; Process.mu guards the rest of a process's state,
// its signal state included. procMu is taken before any Process.mu.
type Process struct {
	PID int32

	// Under procMu.
	parent     *Process
	children   []*Process // live and zombie children, oldest first
	pgid, sid  int32
	state      procState
	exitSignal int     // sent to the parent at exit (SIGCHLD; 0: none)
	pdeathSig  int     // sent to this process when its parent exits (PR_SET_PDEATHSIG)
	didExec    bool    // setpgid refuses EACCES once a child has exec'd
	tty        *fs.TTY // controlling terminal of the process's session
	childEvent chan struct{}
	// stopReport and contReport are pending wait reports for the parent
	// (WUNTRACED, WCONTINUED): the stop signal, or a continue.
	stopReport int
	contReport bool

	// as is replaced by execve and cleared at exit; every system call
	// reads it, so it is an atomic pointer rather than under mu.
	as atomic.Pointer[mm.AddressSpace]

	// fdt is files.t, published for FDs, which every system call on a
	// descriptor calls (and the fast path, without locks).
	fdt atomic.Pointer[fs.FDTable]

	mu      sync.Mutex
	files   *sharedFiles
	fsctx   *fsContext
	sighand *sigHand
	creds   Creds
	exe     string
	// The argument and environment strings lie on the initial stack
	// (mm->arg_start ... env_end); /proc/PID/cmdline and environ read
	// them from there, as Linux does.
	argStart, argEnd, envStart, envEnd uintptr
	tasks                              map[int32]*Task
	tasksChanged                       chan struct{} // closed when a task ends
	rlimits                            [rlimNlimits][2]uint64
	name                               [16]byte // the main thread's comm
	startTime                          int64    // monotonic ns at creation

	sig procSignals // pending shared signals, group exit and stop

	realTimer realTimer // setitimer(ITIMER_REAL), alarm (itimer.go)
	// The CPU-time interval timers, the armed CPU-time timers
	// (cputimer.go) and the POSIX timers (posixtimer.go), under mu.
	itimerVirt, itimerProf cpuITimer
	cpuTimers              cpuTimers
	timers                 processTimers

	// Accounting (under mu): CPU time of exited threads, and of waited-for
	// children (Linux's signal_struct cutime/cstime).
	utime, stime   int64
	cutime, cstime int64
	// Page faults of exited threads and of waited-for children.
	minFlt, cminFlt uint64

	done     chan struct{} // closed when the process has exited
	exitCode int           // wait status once done
}

type procState uint8

const (
	procAlive  procState = iota
	procZombie           // exited, waiting for its parent
	procDead             // reaped
)

// fsContext is what CLONE_FS shares (struct fs_struct): the working
// directory and the file mode creation mask.
type fsContext struct {
	mu    sync.Mutex
	cwd   fs.Path
	umask uint32
}

func (c *fsContext) clone() *fsContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &fsContext{cwd: c.cwd, umask: c.umask}
}

// sharedFiles is a descriptor table with the processes sharing it
// (CLONE_FILES; struct files_struct's count).
type sharedFiles struct {
	t    *fs.FDTable
	refs atomic.Int32
}

// setFiles makes s the process's descriptor table; p.mu is held or p
// is not yet visible.
func (p *Process) setFiles(s *sharedFiles) {
	p.files = s
	p.fdt.Store(s.t)
}

func newSharedFiles(t *fs.FDTable) *sharedFiles {
	s := &sharedFiles{t: t}
	s.refs.Store(1)
	return s
}

// put drops a user; the last one closes every descriptor.
func (s *sharedFiles) put() {
	if s.refs.Add(-1) == 0 {
		s.t.CloseAll()
	}
}

// Resource limits (include/uapi/asm-generic/resource.h).
const (
	rlimNlimits  = 16
	rlimitNproc  = 6
	rlimitNofile = 7
	rlimitNice   = 13
)

// Root is the file system every process sees.
var Root *fs.Root

// maxTasks bounds the user threads alive at once: each one running in
// user mode occupies a kernel thread (sched.MaxThreads bounds those).
const maxTasks = 900

var (
	procMu   sync.Mutex
	procs          = map[int32]*Process{}
	tasks          = map[int32]*Task{}
	pgrps          = map[int32]int{} // processes per process group
	sessions       = map[int32]int{} // processes per session
	nextPID  int32 = 1
	lastPID  int32 // the last ID allocated (/proc/loadavg)
	// initProc is pid 1, which adopts orphans.
	initProc *Process
)

// pidMax is /proc/sys/kernel/pid_max.
const pidMax = 1 << 22

// allocPID returns an unused ID: not a live process or thread, nor a
// process group or session someone still belongs to (alloc_pid). The
// caller holds procMu. ok is false when every ID is taken.
func allocPIDLocked() (int32, bool) {
	for range pidMax {
		id := nextPID
		nextPID++
		if nextPID >= pidMax {
			nextPID = 300 // RESERVED_PIDS: wrap above the daemons' IDs
		}
		if procs[id] == nil && tasks[id] == nil && pgrps[id] == 0 && sessions[id] == 0 {
			lastPID = id
			return id, true
		}
	}
	return 0, false
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
func (p *Process) FDs() *fs.FDTable {
	return p.fdt.Load()
}

// Cwd returns the working directory.
func (p *Process) Cwd() fs.Path {
	c := p.fsContext()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cwd
}

func (p *Process) fsContext() *fsContext {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fsctx
}

// SetCwd changes the working directory.
func (p *Process) SetCwd(d fs.Path) {
	c := p.fsContext()
	c.mu.Lock()
	c.cwd = d
	c.mu.Unlock()
}

// Umask returns the file mode creation mask and sets it to mask if set.
func (p *Process) Umask(mask uint32, set bool) uint32 {
	c := p.fsContext()
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.umask
	if set {
		c.umask = mask & 0o777
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
	if res == rlimitNofile {
		p.files.t.Limit = int32(min(v[0], 1<<20))
	}
	p.mu.Unlock()
}

// Name returns the process's name: its main thread's (comm).
func (p *Process) Name() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return commString(p.name)
}

func commString(c [16]byte) string { return strings.TrimRight(string(c[:]), "\x00") }

// Comm returns the thread's name.
func (t *Task) Comm() string {
	t.Proc.mu.Lock()
	defer t.Proc.mu.Unlock()
	return commString(t.comm)
}

// SetComm names the thread (PR_SET_NAME, exec, a write to
// /proc/PID/comm), truncated to 15 bytes as __set_task_comm does. The
// main thread's name is the process's.
func (t *Task) SetComm(name string) {
	p := t.Proc
	p.mu.Lock()
	t.setCommLocked(name)
	p.mu.Unlock()
}

func (t *Task) setCommLocked(name string) {
	t.comm = [16]byte{}
	copy(t.comm[:15], name)
	if t.TID == t.Proc.PID {
		t.Proc.name = t.comm
	}
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitStatus is the wait status once Done is closed.
func (p *Process) ExitStatus() int { return p.exitCode }

// PdeathSig returns the signal the process gets when its parent exits
// (PR_GET_PDEATHSIG).
func (p *Process) PdeathSig() int {
	procMu.Lock()
	defer procMu.Unlock()
	return p.pdeathSig
}

// SetPdeathSig sets it (PR_SET_PDEATHSIG; 0: none). A child does not
// inherit it.
func (p *Process) SetPdeathSig(sig int) {
	procMu.Lock()
	p.pdeathSig = sig
	procMu.Unlock()
}

// PPID returns the parent's ID (0 for init).
func (p *Process) PPID() int32 {
	procMu.Lock()
	defer procMu.Unlock()
	if p.parent == nil {
		return 0
	}
	return p.parent.PID
}

// Exe implements fs.ProcessInfo: the executable's path, "" once the
// process has exited (it has no mm to hold the file).
func (p *Process) Exe() string {
	if p.AS() == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exe
}

// Cmdline implements fs.ProcessInfo: the argument strings, read from the
// process's memory (empty once it has exited).
func (p *Process) Cmdline() []byte {
	p.mu.Lock()
	start, end := p.argStart, p.argEnd
	p.mu.Unlock()
	return p.readMem(start, end)
}

// Environ is the environment strings (/proc/PID/environ).
func (p *Process) Environ() []byte {
	p.mu.Lock()
	start, end := p.envStart, p.envEnd
	p.mu.Unlock()
	return p.readMem(start, end)
}

func (p *Process) readMem(start, end uintptr) []byte {
	as := p.AS()
	if as == nil || end <= start {
		return nil
	}
	b := make([]byte, end-start)
	if as.CopyIn(start, b) != nil {
		return nil
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

// ProcessByPID returns a process that has not been reaped (zombies
// included, as kill and /proc see them).
func ProcessByPID(pid int32) *Process {
	procMu.Lock()
	defer procMu.Unlock()
	return procs[pid]
}

// Threads returns the number of tasks in the process.
func (p *Process) Threads() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tasks)
}

// TaskByTID returns a live task.
func TaskByTID(tid int32) *Task {
	procMu.Lock()
	defer procMu.Unlock()
	return tasks[tid]
}

// IDs returns the process's group and session IDs.
func (p *Process) IDs() (pgid, sid int32) {
	procMu.Lock()
	defer procMu.Unlock()
	return p.pgid, p.sid
}

// CPUNanos is the CPU time of the process's tasks, live and exited, in
// user and system mode.
func (p *Process) CPUNanos() int64 {
	u, s := p.Times()
	return u + s
}

// Times returns the user and system CPU time of the process's tasks,
// live and exited, in ns.
func (p *Process) Times() (user, sys int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.timesLocked()
}

// timesLocked is Times with p.mu held.
func (p *Process) timesLocked() (user, sys int64) {
	user, sys = p.utime, p.stime
	for _, t := range p.tasks {
		user += t.CPUNanos()
		sys += t.SysNanos()
	}
	return user, sys
}

// ChildTimes returns the CPU time of the process's waited-for children.
func (p *Process) ChildTimes() (user, sys int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cutime, p.cstime
}

// StartTime is when the process was created, in monotonic ns since boot.
func (p *Process) StartTime() int64 { return p.startTime }

// newProcess makes a process with no tasks yet; the caller fills in the
// shared state and links it into the tree.
func newProcess(pid int32) *Process {
	return &Process{
		PID:          pid,
		pgid:         pid,
		sid:          pid,
		tasks:        map[int32]*Task{},
		tasksChanged: make(chan struct{}),
		rlimits:      defaultRlimits(),
		done:         make(chan struct{}),
		childEvent:   make(chan struct{}),
		startTime:    ktime.Now(),
		exitSignal:   17, // SIGCHLD
	}
}

// joinGroupsLocked counts p in its process group and session.
func (p *Process) joinGroupsLocked() {
	pgrps[p.pgid]++
	sessions[p.sid]++
}

// leaveGroupsLocked undoes joinGroupsLocked.
func (p *Process) leaveGroupsLocked() {
	if pgrps[p.pgid]--; pgrps[p.pgid] <= 0 {
		delete(pgrps, p.pgid)
	}
	if sessions[p.sid]--; sessions[p.sid] <= 0 {
		delete(sessions, p.sid)
	}
}

// notifyChildEventLocked wakes the tasks of p waiting for a child.
func (p *Process) notifyChildEventLocked() {
	close(p.childEvent)
	p.childEvent = make(chan struct{})
}
