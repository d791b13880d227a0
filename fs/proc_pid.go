package fs

import (
	"fmt"
	"strconv"
	"strings"

	"oyako/kernel/mm"
)

// The files of /proc/PID that describe a task, formatted as Linux's
// fs/proc/array.c (stat, status, statm), fs/proc/task_mmu.c (the memory
// lines of status), fs/proc/base.c (limits) and fs/proc/fd.c (fdinfo)
// print them.

// TaskInfo describes a thread, or a process as a whole, for /proc. Times
// are in nanoseconds; memory sizes are those of mm.Usage.
type TaskInfo struct {
	// Whole is set when the information is the process's as a whole
	// (/proc/PID/stat) rather than one thread's (/proc/PID/task/TID).
	Whole                      bool
	PID, TGID, PPID, PGID, SID int32
	TracerPID                  int32
	Comm                       string
	// State is the letter of task_state_array: R, S, D, T, t, Z, X.
	State byte
	// TTYNr is the controlling terminal's device number as
	// new_encode_dev gives it (0: none), TTYPgrp its foreground process
	// group (-1: no terminal).
	TTYNr                            int32
	TTYPgrp                          int32
	Flags                            uint32 // PF_* of task_struct
	MinFlt, MajFlt, CMinFlt, CMajFlt uint64
	Utime, Stime, CUtime, CStime     int64
	Priority, Nice                   int32
	Threads                          int
	StartTime                        int64 // since boot
	// Mem is the address space's use; nil once the process has exited.
	Mem                                *mm.Usage
	RSSLimit                           uint64
	ArgStart, ArgEnd, EnvStart, EnvEnd uintptr
	// Signals: the thread's own pending set, the process's, the
	// thread's blocked set, and the ignored and caught signals; SigQ
	// counts the queued signals against RLIMIT_SIGPENDING.
	SigPending, SigShared, SigBlocked, SigIgnored, SigCaught uint64
	SigQ, SigQLimit                                          uint64
	ExitSignal                                               int32
	ExitCode                                                 int32 // wait status of a zombie, stop signal of a stopped task, else 0
	CPU                                                      int32
	// Umask is the file mode creation mask, -1 once the process has
	// exited (it has no fs_struct left).
	Umask int32
	// UID and GID: real, effective, saved and file-system IDs.
	UID, GID [4]uint32
	Groups   []uint32
	FDSize   int
	// Capability sets: inheritable, permitted, effective, bounding,
	// ambient.
	CapInh, CapPrm, CapEff, CapBnd, CapAmb uint64
	NoNewPrivs                             bool
	VoluntarySwitches, InvoluntarySwitches uint64
}

// Task flags (include/linux/sched.h) that /proc/PID/stat shows.
const (
	PF_EXITING      = 0x00000004
	PF_POSTCOREDUMP = 0x00000008
	PF_FORKNOEXEC   = 0x00000040
	PF_SIGNALED     = 0x00000400
	PF_NOFREEZE     = 0x00008000
)

// userHZ is USER_HZ: /proc reports times in clock ticks of 1/100 s.
const userHZ = 100

// ClockTicks converts ns to clock ticks (nsec_to_clock_t).
func ClockTicks(ns int64) uint64 {
	if ns < 0 {
		return 0
	}
	return uint64(ns) / (1e9 / userHZ)
}

// stateNames are task_state_array's entries.
var stateNames = map[byte]string{
	'R': "R (running)", 'S': "S (sleeping)", 'D': "D (disk sleep)", 'T': "T (stopped)",
	't': "t (tracing stop)", 'X': "X (dead)", 'Z': "Z (zombie)", 'P': "P (parked)", 'I': "I (idle)",
}

// formatStat is /proc/PID/stat (do_task_stat): 52 fields. Fields a
// modern kernel hides (the stack and instruction pointers, wchan's
// address) are 0, and wchan is 1 for a sleeping task.
func formatStat(t *TaskInfo) []byte {
	var b strings.Builder
	var vsize, rss, startCode, endCode, startStack, startData, endData, startBrk uint64
	if m := t.Mem; m != nil {
		vsize, rss = m.TotalVM*mm.PageSize, m.RSS
		l := m.Layout
		startCode, endCode, startStack = uint64(l.StartCode), uint64(l.EndCode), uint64(l.StartStack)
		startData, endData, startBrk = uint64(l.StartData), uint64(l.EndData), uint64(m.BrkStart)
	}
	argStart, argEnd, envStart, envEnd := t.ArgStart, t.ArgEnd, t.EnvStart, t.EnvEnd
	if t.Mem == nil {
		argStart, argEnd, envStart, envEnd = 0, 0, 0, 0
	}
	// wchan is 1 for a task that is not running (!task_is_running: a
	// sleeping, stopped or dead one); the whole process's file leaves it
	// out when there are several threads.
	wchan := 0
	if t.State != 'R' && !(t.Whole && t.Threads > 1) {
		wchan = 1
	}
	fmt.Fprintf(&b, "%d (%s) %c %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d 0 %d %d %d %d",
		t.PID, t.Comm, t.State, t.PPID, t.PGID, t.SID, t.TTYNr, t.TTYPgrp, t.Flags,
		t.MinFlt, t.CMinFlt, t.MajFlt, t.CMajFlt,
		ClockTicks(t.Utime), ClockTicks(t.Stime), ClockTicks(t.CUtime), ClockTicks(t.CStime),
		t.Priority, t.Nice, t.Threads, ClockTicks(t.StartTime), vsize, rss, t.RSSLimit)
	fmt.Fprintf(&b, " %d %d %d 0 0 %d %d %d %d %d 0 0 %d %d 0 0 0 0 0 %d %d %d %d %d %d %d %d\n",
		startCode, endCode, startStack,
		t.SigPending&0x7fffffff, t.SigBlocked&0x7fffffff, t.SigIgnored&0x7fffffff, t.SigCaught&0x7fffffff,
		wchan, t.ExitSignal, t.CPU,
		startData, endData, startBrk, argStart, argEnd, envStart, envEnd, t.ExitCode)
	return []byte(b.String())
}

// formatStatm is /proc/PID/statm (task_statm): size, resident, shared,
// text, lib (0), data, dt (0), in pages.
func formatStatm(m *mm.Usage) []byte {
	if m == nil {
		return []byte("0 0 0 0 0 0 0\n")
	}
	return []byte(fmt.Sprintf("%d %d %d %d 0 %d 0\n", m.TotalVM, m.Anon+m.File+m.Shmem, m.File+m.Shmem, codeExtent(m)/mm.PageSize, m.DataVM+m.StackVM))
}

// codeExtent is the page-aligned extent of the program's code, statm's
// text.
func codeExtent(m *mm.Usage) uint64 {
	l := m.Layout
	if l.EndCode < l.StartCode {
		return 0
	}
	return mm.PageAlignUp(uint64(l.EndCode)) - uint64(l.StartCode)&^(mm.PageSize-1)
}

// textBytes is status's VmExe: the code's extent, at most the executable
// mappings (task_mem).
func textBytes(m *mm.Usage) uint64 { return min(codeExtent(m), m.ExecVM*mm.PageSize) }

// sigset renders a signal set as render_sigset_t: 16 hex digits, the
// highest signals first.
func sigset(s uint64) string { return fmt.Sprintf("%016x", s) }

// escapeComm escapes a name for status's Name line (proc_task_name with
// escaping: newlines and backslashes).
func escapeComm(s string) string {
	if !strings.ContainsAny(s, "\n\\") {
		return s
	}
	return strings.NewReplacer("\\", "\\\\", "\n", "\\n").Replace(s)
}

// Mems_allowed's width: MAX_NUMNODES of a distribution kernel
// (CONFIG_NODES_SHIFT=10), one node.
var memsAllowed = strings.Repeat("00000000,", 31) + "00000001"

// formatStatus is /proc/PID/status (proc_pid_status).
func formatStatus(t *TaskInfo) []byte {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("Name:\t%s\n", escapeComm(t.Comm))
	if t.Umask >= 0 {
		p("Umask:\t%04o\n", t.Umask)
	}
	state := stateNames[t.State]
	if state == "" {
		state = string(t.State)
	}
	p("State:\t%s\n", state)
	p("Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n", t.TGID, t.PID, t.PPID, t.TracerPID)
	p("Uid:\t%d\t%d\t%d\t%d\n", t.UID[0], t.UID[1], t.UID[2], t.UID[3])
	p("Gid:\t%d\t%d\t%d\t%d\n", t.GID[0], t.GID[1], t.GID[2], t.GID[3])
	p("FDSize:\t%d\nGroups:\t", t.FDSize)
	for i, g := range t.Groups {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatUint(uint64(g), 10))
	}
	b.WriteString(" \n")
	p("NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\n", t.TGID, t.PID, t.PGID, t.SID)
	if m := t.Mem; m != nil {
		kb := func(pages uint64) uint64 { return pages * mm.PageSize >> 10 }
		text := textBytes(m)
		lib := m.ExecVM*mm.PageSize - text
		for _, l := range []struct {
			name string
			kb   uint64
		}{
			{"VmPeak", kb(m.HiwaterVM)}, {"VmSize", kb(m.TotalVM)}, {"VmLck", kb(m.Locked)}, {"VmPin", kb(m.Pinned)},
			{"VmHWM", kb(max(m.HiwaterRSS, m.RSS))}, {"VmRSS", kb(m.Anon + m.File + m.Shmem)},
			{"RssAnon", kb(m.Anon)}, {"RssFile", kb(m.File)}, {"RssShmem", kb(m.Shmem)},
			{"VmData", kb(m.DataVM)}, {"VmStk", kb(m.StackVM)}, {"VmExe", text >> 10}, {"VmLib", lib >> 10},
			{"VmPTE", m.PageTableBytes >> 10}, {"VmSwap", kb(m.Swap)}, {"HugetlbPages", 0},
		} {
			p("%s:\t%8d kB\n", l.name, l.kb)
		}
		p("CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\n")
	}
	p("Threads:\t%d\nSigQ:\t%d/%d\n", t.Threads, t.SigQ, t.SigQLimit)
	p("SigPnd:\t%s\nShdPnd:\t%s\nSigBlk:\t%s\nSigIgn:\t%s\nSigCgt:\t%s\n",
		sigset(t.SigPending), sigset(t.SigShared), sigset(t.SigBlocked), sigset(t.SigIgnored), sigset(t.SigCaught))
	p("CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\n", t.CapInh, t.CapPrm, t.CapEff, t.CapBnd, t.CapAmb)
	nnp := 0
	if t.NoNewPrivs {
		nnp = 1
	}
	// The speculation lines say "unknown", as Linux does where
	// PR_GET_SPECULATION_CTRL is not supported, which is oyako's case.
	p("NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tunknown\nSpeculationIndirectBranch:\tunknown\n", nnp)
	p("Cpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t%s\nMems_allowed_list:\t0\n", memsAllowed)
	p("voluntary_ctxt_switches:\t%d\nnonvoluntary_ctxt_switches:\t%d\n", t.VoluntarySwitches, t.InvoluntarySwitches)
	return []byte(b.String())
}

// rlimitNames are the rows of /proc/PID/limits (proc_pid_limits'
// lnames), in RLIMIT_* order.
var rlimitNames = []struct{ name, unit string }{
	{"Max cpu time", "seconds"}, {"Max file size", "bytes"}, {"Max data size", "bytes"},
	{"Max stack size", "bytes"}, {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
	{"Max processes", "processes"}, {"Max open files", "files"}, {"Max locked memory", "bytes"},
	{"Max address space", "bytes"}, {"Max file locks", "locks"}, {"Max pending signals", "signals"},
	{"Max msgqueue size", "bytes"}, {"Max nice priority", ""}, {"Max realtime priority", ""},
	{"Max realtime timeout", "us"},
}

// formatLimits is /proc/PID/limits.
func formatLimits(lim [][2]uint64) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units")
	val := func(v uint64) string {
		if v == ^uint64(0) {
			return "unlimited"
		}
		return strconv.FormatUint(v, 10)
	}
	for i, n := range rlimitNames {
		if i >= len(lim) {
			break
		}
		fmt.Fprintf(&b, "%-25s %-20s %-20s ", n.name, val(lim[i][0]), val(lim[i][1]))
		if n.unit != "" {
			fmt.Fprintf(&b, "%-10s", n.unit)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// FDInfoer is implemented by FileOps that add lines of their own to
// /proc/PID/fdinfo/N (show_fdinfo).
type FDInfoer interface {
	FDInfo(f *File) string
}

// MountID gives the mount ID fdinfo reports for a file's inode (set by
// the mount table; without one, every file is on mount 1).
var MountID = func(Inode) int { return 1 }

// formatFDInfo is /proc/PID/fdinfo/N (seq_show): the position, the file
// status flags with O_CLOEXEC if the descriptor has it, the mount and the
// inode number, then what the file's kind adds.
func formatFDInfo(e FDEntry) string {
	f := e.File
	flags := f.Flags()
	if e.Cloexec {
		flags |= O_CLOEXEC
	}
	f.mu.Lock()
	pos := f.off
	f.mu.Unlock()
	s := fmt.Sprintf("pos:\t%d\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n", pos, flags, MountID(f.Inode), f.Inode.Attr().Ino)
	if i, ok := f.ops.(FDInfoer); ok {
		s += i.FDInfo(f)
	}
	return s
}
