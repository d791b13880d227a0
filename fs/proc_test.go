package fs

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
)

// fakeProc is process 7 with threads 7 and 8.
type fakeProc struct {
	pid  int32
	tids []int32
	fds  *FDTable
	cwd  Path
	comm map[int32]string
}

func (p *fakeProc) Exe() string                { return "/bin/prog" }
func (p *fakeProc) Cmdline() []byte            { return []byte("prog\x00-v\x00") }
func (p *fakeProc) Environ() []byte            { return []byte("HOME=/\x00") }
func (p *fakeProc) Maps() string               { return "00400000-00401000 r-xp 00000000 00:00 0 /bin/prog\n" }
func (p *fakeProc) WorkingDir() (Path, string) { return p.cwd, "/bin" }
func (p *fakeProc) FDs() *FDTable              { return p.fds }
func (p *fakeProc) TIDs() []int32              { return p.tids }
func (p *fakeProc) Limits() [][2]uint64        { return [][2]uint64{{^uint64(0), ^uint64(0)}, {1, 2}} }
func (p *fakeProc) Owner() (uid, gid uint32)   { return 1000, 100 }
func (p *fakeProc) SetComm(tid int32, name string) error {
	p.comm[tid] = name
	return nil
}

func (p *fakeProc) Task(tid int32, whole bool) (TaskInfo, bool) {
	if !slices.Contains(p.tids, tid) {
		return TaskInfo{}, false
	}
	t := sampleTask()
	t.PID, t.Whole, t.Comm = tid, whole, p.comm[tid]
	return t, true
}

// sampleTask is a process with known values in every field.
func sampleTask() TaskInfo {
	return TaskInfo{
		PID: 7, TGID: 7, PPID: 1, PGID: 7, SID: 1, Comm: "prog", State: 'S', TTYNr: 1088, TTYPgrp: 7,
		Flags: PF_FORKNOEXEC, MinFlt: 100, CMinFlt: 5, Utime: 1234567890, Stime: 20e6, CUtime: 1e9, CStime: 0,
		Priority: 20, Threads: 2, StartTime: 3e9, RSSLimit: ^uint64(0),
		Mem: &mm.Usage{TotalVM: 100, DataVM: 10, StackVM: 2048, ExecVM: 20, HiwaterVM: 120, RSS: 30, HiwaterRSS: 40,
			Anon: 10, File: 19, Shmem: 1, PageTableBytes: 5 * 4096,
			Layout:   mm.Layout{StartCode: 0x401000, EndCode: 0x4a0123, StartData: 0x4c0000, EndData: 0x4c5000, StartStack: 0x7fffffffe000},
			BrkStart: 0x4c6000},
		ArgStart: 0x7fffffffef00, ArgEnd: 0x7fffffffef10, EnvStart: 0x7fffffffef10, EnvEnd: 0x7fffffffef20,
		SigPending: 1 << 9, SigShared: 1 << 16, SigBlocked: 1<<1 | 1<<33, SigIgnored: 1 << 12, SigCaught: 1 << 16,
		SigQ: 1, SigQLimit: 4096, ExitSignal: 17, Umask: 0o22,
		UID: [4]uint32{1000, 1000, 1000, 1000}, GID: [4]uint32{100, 100, 100, 100}, Groups: []uint32{10, 20},
		FDSize: 64, CapBnd: 1<<41 - 1, VoluntarySwitches: 3,
	}
}

type fakeProcs struct {
	procs   map[int32]*fakeProc
	dropped []int // drop_caches writes
	maxMaps int
	watches int
}

func newFakeProcs() *fakeProcs {
	return &fakeProcs{procs: map[int32]*fakeProc{7: {pid: 7, tids: []int32{7, 8}, fds: NewFDTable(), comm: map[int32]string{7: "prog", 8: "worker"}}}}
}

func (s *fakeProcs) Process(pid int32) (ProcessInfo, bool) {
	p, ok := s.procs[pid]
	return p, ok
}
func (s *fakeProcs) ThreadGroup(tid int32) (int32, bool) {
	for pid, p := range s.procs {
		if slices.Contains(p.tids, tid) {
			return pid, true
		}
	}
	return 0, false
}
func (s *fakeProcs) PIDs() []int32             { return []int32{7} }
func (s *fakeProcs) Uptime() (up, idle int64)  { return 12345e6 + 999e3, 6789e6 }
func (s *fakeProcs) SetHostname(name string)   { fakeUTS.Nodename = name }
func (s *fakeProcs) SetDomainname(name string) { fakeUTS.Domainname = name }
func (s *fakeProcs) PIDMax() int               { return 4194304 }
func (s *fakeProcs) DropCaches(what int)       { s.dropped = append(s.dropped, what) }
func (s *fakeProcs) MaxMapCount() int          { return s.maxMaps }
func (s *fakeProcs) SetMaxMapCount(n int)      { s.maxMaps = n }
func (s *fakeProcs) MaxUserWatches() int       { return s.watches }
func (s *fakeProcs) SetMaxUserWatches(n int)   { s.watches = n }
func (s *fakeProcs) UTS() UTS                  { return fakeUTS }
func (s *fakeProcs) LoadAvg() LoadAvg {
	return LoadAvg{Avg: [3]uint64{1024, 2048 + 20, 0}, Running: 1, Threads: 3, LastPID: 42}
}
func (s *fakeProcs) MemInfo() MemInfo {
	return MemInfo{Total: 128 << 20, Free: 100 << 20, Available: 100 << 20, Cached: 4 << 20, Shmem: 1 << 20, VmallocTotal: 32<<40 - 1, HugePageSize: 2 << 20}
}
func (s *fakeProcs) CPUs() []CPUInfo {
	return []CPUInfo{{VendorID: "AuthenticAMD", ModelName: "QEMU TCG CPU version 2.5+", Family: 15, Model: 107, Stepping: 1,
		Microcode: 0x1000065, KHz: 2596148, CacheKB: 512, Siblings: 1, Cores: 1, CPUIDLevel: 13,
		Flags: []string{"fpu", "vme"}, Bugs: []string{"spectre_v1"}, TLBSize: 1024, ClflushSize: 64, CacheAlign: 64,
		PhysBits: 40, VirtBits: 48, PowerManagement: []string{"ts", "[13]"}}}
}
func (s *fakeProcs) Stat() SysStat {
	return SysStat{User: 150e7, System: 25e7, Idle: 1e10, Ctxt: 99, BootTime: 1700000000, Processes: 12, Running: 1}
}

var fakeUTS = UTS{Sysname: "Linux", Nodename: "oyako", Release: "6.18.0-oyako", Version: "#1 SMP oyako", Machine: "x86_64", Domainname: "(none)"}

func TestFormatStat(t *testing.T) {
	ti := sampleTask()
	ti.Whole = true
	got := string(formatStat(&ti))
	want := "7 (prog) S 1 7 1 1088 7 64 100 5 0 0 123 2 100 0 20 0 2 0 300 409600 30 18446744073709551615 " +
		"4198400 4849955 140737488347136 0 0 512 2 4096 65536 0 0 0 17 0 0 0 0 0 0 " +
		"4980736 5001216 5005312 140737488350976 140737488350992 140737488350992 140737488351008 0\n"
	if got != want {
		t.Errorf("stat:\n got %q\nwant %q", got, want)
	}
	if n := len(strings.Fields(got)); n != 52 {
		t.Errorf("%d fields, want 52", n)
	}
	// A thread's own file shows wchan for a sleeping thread.
	ti.Whole = false
	if f := strings.Fields(string(formatStat(&ti))); f[34] != "1" {
		t.Errorf("wchan of a sleeping thread: %s", f[34])
	}
	// A zombie: no memory, its exit code last.
	z := TaskInfo{PID: 9, TGID: 9, PPID: 7, PGID: 7, SID: 1, Comm: "sh", State: 'Z', TTYPgrp: -1, Threads: 1, ExitSignal: 17, ExitCode: 256, Umask: -1,
		ArgStart: 0x1000}
	want = "9 (sh) Z 7 7 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 256\n"
	if got := string(formatStat(&z)); got != want {
		t.Errorf("zombie stat:\n got %q\nwant %q", got, want)
	}
}

func TestFormatStatusAndStatm(t *testing.T) {
	ti := sampleTask()
	ti.Comm = "a\\b\nc"
	got := string(formatStatus(&ti))
	for _, line := range []string{
		"Name:\ta\\\\b\\nc\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t7\nNgid:\t0\nPid:\t7\nPPid:\t1\nTracerPid:\t0\n",
		"Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\nFDSize:\t64\nGroups:\t10 20 \nNStgid:\t7\nNSpid:\t7\nNSpgid:\t7\nNSsid:\t1\nKthread:\t0\n",
		"VmPeak:\t     480 kB\nVmSize:\t     400 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t     160 kB\nVmRSS:\t     120 kB\n",
		"RssAnon:\t      40 kB\nRssFile:\t      76 kB\nRssShmem:\t       4 kB\nVmData:\t      40 kB\nVmStk:\t    8192 kB\n",
		"VmExe:\t      80 kB\nVmLib:\t       0 kB\nVmPTE:\t      20 kB\nVmSwap:\t       0 kB\nHugetlbPages:\t       0 kB\n",
		"CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\nThreads:\t2\nSigQ:\t1/4096\n",
		"SigPnd:\t0000000000000200\nShdPnd:\t0000000000010000\nSigBlk:\t0000000200000002\nSigIgn:\t0000000000001000\nSigCgt:\t0000000000010000\n",
		"CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n",
		"NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tunknown\nSpeculationIndirectBranch:\tunknown\n",
		"Cpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t00000000,",
		",00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t3\nnonvoluntary_ctxt_switches:\t0\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("status lacks %q:\n%s", line, got)
		}
	}
	// statm's text is the code's page extent (160 pages), VmExe that
	// at most the executable mappings (20 pages: 80 kB).
	if got := string(formatStatm(ti.Mem)); got != "100 30 20 160 0 2058 0\n" {
		t.Errorf("statm %q", got)
	}
	// A zombie has no memory lines and no umask.
	z := TaskInfo{State: 'Z', Umask: -1, Comm: "x"}
	got = string(formatStatus(&z))
	if strings.Contains(got, "Umask") || strings.Contains(got, "VmSize") || !strings.Contains(got, "State:\tZ (zombie)\n") {
		t.Errorf("zombie status:\n%s", got)
	}
	if got := string(formatStatm(nil)); got != "0 0 0 0 0 0 0\n" {
		t.Errorf("zombie statm %q", got)
	}
}

func TestFormatSystemFiles(t *testing.T) {
	s := newFakeProcs()
	if got := formatUptime(s.Uptime()); got != "12.34 6.78\n" {
		t.Errorf("uptime %q", got)
	}
	if got := formatLoadavg(s.LoadAvg()); got != "0.50 1.01 0.00 1/3 42\n" {
		t.Errorf("loadavg %q", got)
	}
	mi := formatMeminfo(s.MemInfo())
	for _, l := range []string{"MemTotal:         131072 kB\nMemFree:          102400 kB\nMemAvailable:     102400 kB\nBuffers:               0 kB\nCached:             4096 kB\n",
		"\nShmem:              1024 kB\n", "\nVmallocTotal:   34359738367 kB\n", "\nHugePages_Total:       0\n", "\nHugepagesize:       2048 kB\n"} {
		if !strings.Contains(mi, l) {
			t.Errorf("meminfo lacks %q:\n%s", l, mi)
		}
	}
	if n := strings.Count(mi, "\n"); n != 54 {
		t.Errorf("meminfo has %d lines, want 54", n)
	}
	ci := formatCPUInfo(s.CPUs())
	want := "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 15\nmodel\t\t: 107\nmodel name\t: QEMU TCG CPU version 2.5+\n" +
		"stepping\t: 1\nmicrocode\t: 0x1000065\ncpu MHz\t\t: 2596.148\ncache size\t: 512 KB\nphysical id\t: 0\nsiblings\t: 1\n" +
		"core id\t\t: 0\ncpu cores\t: 1\napicid\t\t: 0\ninitial apicid\t: 0\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\n" +
		"wp\t\t: yes\nflags\t\t: fpu vme\nbugs\t\t: spectre_v1\nbogomips\t: 5192.29\nTLB size\t: 1024 4K pages\nclflush size\t: 64\n" +
		"cache_alignment\t: 64\naddress sizes\t: 40 bits physical, 48 bits virtual\npower management: ts [13]\n\n"
	if ci != want {
		t.Errorf("cpuinfo:\n got %q\nwant %q", ci, want)
	}
	want = "cpu  150 0 25 1000 0 0 0 0 0 0\ncpu0 150 0 25 1000 0 0 0 0 0 0\nintr 0\nctxt 99\nbtime 1700000000\nprocesses 12\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n"
	if got := formatSysStat(s.Stat()); got != want {
		t.Errorf("stat:\n got %q\nwant %q", got, want)
	}
	if got := formatVersion(fakeUTS); !strings.HasPrefix(got, "Linux version 6.18.0-oyako (oyako@oyako) (go") || !strings.HasSuffix(got, ") #1 SMP oyako\n") {
		t.Errorf("version %q", got)
	}
	lim := string(formatLimits(newFakeProcs().procs[7].Limits()))
	want = "Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max cpu time              unlimited            unlimited            seconds   \n" +
		"Max file size             1                    2                    bytes     \n"
	if lim != want {
		t.Errorf("limits:\n got %q\nwant %q", lim, want)
	}
}

func TestSysctlString(t *testing.T) {
	for _, c := range []struct {
		cur, in string
		off     int64
		want    string
		ok      bool
	}{
		{"oyako", "box\n", 0, "box", true},
		{"oyako", "box", 5, "oyakobox", true},
		{"oyako", "box", 2, "oybox", true},
		{"oyako", "box", 6, "oyako", false},
		{"", strings.Repeat("x", 70), 0, strings.Repeat("x", 64), true},
		{"a", "b\x00c", 0, "b", true},
	} {
		got, ok := sysctlString(c.cur, []byte(c.in), c.off, 65)
		if got != c.want || ok != c.ok {
			t.Errorf("%q+%q@%d: %q %v, want %q %v", c.cur, c.in, c.off, got, ok, c.want, c.ok)
		}
	}
}

func readAll(t *testing.T, r *Root, c Ctx, path string) string {
	t.Helper()
	f, err := r.Open(c, r.Top(), path, O_RDONLY, 0, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef()
	var out []byte
	buf := make([]byte, 7) // small reads: the text must hold together
	for {
		n, err := f.Read(c, buf)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func names(t *testing.T, r *Root, c Ctx, path string) []string {
	t.Helper()
	n, err := r.Resolve(c, r.Top(), path, true)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	ents, err := n.(Dir).ReadDir()
	if err != nil {
		t.Fatalf("readdir %s: %v", path, err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name)
	}
	return out
}

func TestProcTree(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{pid: 7}
	pd, _ := r.Resolve(c, r.Top(), "/proc", true)
	src := pd.(*ProcDir).src.(*fakeProcs)
	p := src.procs[7]
	p.cwd = mustDir(t, r, "/bin")

	if got, want := strings.Join(names(t, r, c, "/proc"), " "), "net sys stat mounts uptime cpuinfo loadavg meminfo version filesystems self thread-self 7"; got != want {
		t.Errorf("/proc: %s, want %s", got, want)
	}
	if got, want := strings.Join(names(t, r, c, "/proc/7"), " "), "task fd fdinfo net environ status limits comm cmdline stat statm maps cwd root exe mounts mountinfo"; got != want {
		t.Errorf("/proc/7: %s", got)
	}
	if got := strings.Join(names(t, r, c, "/proc/7/task"), " "); got != "7 8" {
		t.Errorf("/proc/7/task: %s", got)
	}
	if got := strings.Join(names(t, r, c, "/proc/7/task/8"), " "); strings.Contains(got, "task") {
		t.Errorf("a thread's directory has a task entry: %s", got)
	}
	// Thread 8's files: its own ID and name.
	if got := readAll(t, r, c, "/proc/7/task/8/stat"); !strings.HasPrefix(got, "8 (worker) S ") {
		t.Errorf("thread stat %q", got)
	}
	if got := readAll(t, r, c, "/proc/7/task/8/comm"); got != "worker\n" {
		t.Errorf("thread comm %q", got)
	}
	// A thread's ID finds it under /proc too.
	if got := readAll(t, r, c, "/proc/8/status"); !strings.Contains(got, "\nPid:\t8\n") {
		t.Errorf("/proc/8/status:\n%s", got)
	}
	if _, err := r.Resolve(c, r.Top(), "/proc/9", true); err != linuxerr.ENOENT {
		t.Errorf("/proc/9: %v", err)
	}
	if got := readAll(t, r, c, "/proc/self/environ"); got != "HOME=/\x00" {
		t.Errorf("environ %q", got)
	}
	if n, _ := r.Resolve(c, r.Top(), "/proc/thread-self", false); n.(Symlink).Target() != "7/task/7" {
		t.Errorf("thread-self -> %q", n.(Symlink).Target())
	}

	// comm is writable: 15 bytes.
	f, err := r.Open(c, r.Top(), "/proc/7/task/8/comm", O_WRONLY, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.Write(c, []byte("a-very-long-thread-name\n")); err != nil || n != 24 {
		t.Fatalf("write comm: %d %v", n, err)
	}
	f.DecRef()
	if p.comm[8] != "a-very-long-thr" {
		t.Errorf("comm now %q", p.comm[8])
	}
	if _, err := r.Open(c, r.Top(), "/proc/7/stat", O_WRONLY, 0, 0); err != linuxerr.EACCES {
		t.Errorf("open stat for writing: %v", err)
	}

	// Descriptors: links named after what they are open on, whose mode
	// says how; fdinfo.
	rd, wr := NewPipe(0)
	p.fds.Install(rd, 0, false)
	p.fds.Install(wr, 0, true)
	prog, _ := r.Open(c, r.Top(), "/bin/prog", O_RDWR|O_LARGEFILE|O_CREAT, 0, 0)
	prog.Seek(3, SeekSet)
	p.fds.InstallAt(5, prog, false)
	if got := strings.Join(names(t, r, c, "/proc/7/fd"), " "); got != "0 1 5" {
		t.Errorf("fd: %s", got)
	}
	l, err := r.Resolve(c, r.Top(), "/proc/7/fd/1", false)
	if err != nil || !strings.HasPrefix(l.(Symlink).Target(), "pipe:[") || l.Attr().Mode != S_IFLNK|0o300 {
		t.Errorf("fd/1: %v %q %o", err, l.(Symlink).Target(), l.Attr().Mode)
	}
	if n, err := r.Resolve(c, r.Top(), "/proc/7/fd/5", true); err != nil || n != prog.Inode {
		t.Errorf("fd/5 does not lead to the file itself: %v", err)
	}
	want := "pos:\t3\nflags:\t0100002\nmnt_id:\t1\nino:\t" + itoa(prog.Inode.Attr().Ino) + "\n"
	if got := readAll(t, r, c, "/proc/7/fdinfo/5"); got != want {
		t.Errorf("fdinfo/5 %q, want %q", got, want)
	}
	if got := readAll(t, r, c, "/proc/7/fdinfo/1"); !strings.Contains(got, "flags:\t02000001\n") {
		t.Errorf("fdinfo/1 %q", got)
	}
	if _, err := r.Resolve(c, r.Top(), "/proc/7/fd/3", false); err != linuxerr.ENOENT {
		t.Errorf("fd/3: %v", err)
	}
	// cwd and root lead to the directories themselves.
	if n, err := r.Resolve(c, r.Top(), "/proc/self/cwd/prog", true); err != nil || n.Attr().Mode&S_IFMT != S_IFREG {
		t.Errorf("cwd/prog: %v", err)
	}
	if n, _ := r.Resolve(c, r.Top(), "/proc/self/cwd", false); n.(Symlink).Target() != "/bin" {
		t.Errorf("cwd -> %q", n.(Symlink).Target())
	}
	if n, err := r.Resolve(c, r.Top(), "/proc/7/root", true); err != nil || n != r.Top().Node {
		t.Errorf("root: %v", err)
	}

	// /proc/sys.
	if got := readAll(t, r, c, "/proc/sys/kernel/osrelease"); got != "6.18.0-oyako\n" {
		t.Errorf("osrelease %q", got)
	}
	if got := readAll(t, r, c, "/proc/sys/fs/pipe-max-size"); got != "1048576\n" {
		t.Errorf("pipe-max-size %q", got)
	}
	h, err := r.Open(c, r.Top(), "/proc/sys/kernel/hostname", O_WRONLY, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(c, []byte("box\n"))
	h.DecRef()
	if got := readAll(t, r, c, "/proc/sys/kernel/hostname"); got != "box\n" {
		t.Errorf("hostname %q", got)
	}
	if _, err := r.Open(c, r.Top(), "/proc/sys/kernel/ostype", O_WRONLY, 0, 0); err != linuxerr.EACCES {
		t.Errorf("writing ostype: %v", err)
	}
	fakeUTS.Nodename = "oyako"

	// /proc/sys/vm: drop_caches is write-only (0200), its values 1 to 4;
	// max_map_count an integer, what proc_dointvec accepts.
	if _, err := r.Open(c, r.Top(), "/proc/sys/vm/drop_caches", O_RDONLY, 0, 0); err != linuxerr.EACCES {
		t.Errorf("reading drop_caches: %v, want EACCES", err)
	}
	for _, w := range []struct {
		in  string
		err error
	}{{"3\n", nil}, {" 2", nil}, {"0", linuxerr.EINVAL}, {"5\n", linuxerr.EINVAL}, {"x", linuxerr.EINVAL}, {"1 2", linuxerr.EINVAL}} {
		dc, err := r.Open(c, r.Top(), "/proc/sys/vm/drop_caches", O_WRONLY, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dc.Write(c, []byte(w.in)); err != w.err {
			t.Errorf("drop_caches %q: %v, want %v", w.in, err, w.err)
		}
		// A second write, past the start, is ignored (strict mode).
		if w.err == nil {
			if n, err := dc.Write(c, []byte("1")); n != 0 || err != nil {
				t.Errorf("drop_caches second write: %d, %v", n, err)
			}
		}
		dc.DecRef()
	}
	if fmt.Sprint(src.dropped) != "[3 2]" {
		t.Errorf("drop_caches calls %v", src.dropped)
	}
	src.maxMaps = 65530
	if got := readAll(t, r, c, "/proc/sys/vm/max_map_count"); got != "65530\n" {
		t.Errorf("max_map_count %q", got)
	}
	mc, err := r.Open(c, r.Top(), "/proc/sys/vm/max_map_count", O_WRONLY, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mc.Write(c, []byte("4096\n")); err != nil || src.maxMaps != 4096 {
		t.Errorf("max_map_count write: %v, now %d", err, src.maxMaps)
	}
	mc.DecRef()
	mc, err = r.Open(c, r.Top(), "/proc/sys/vm/max_map_count", O_WRONLY, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mc.Write(c, []byte("-1")); err != linuxerr.EINVAL {
		t.Errorf("max_map_count -1: %v", err)
	}
	mc.DecRef()
	src.watches = 19000
	if got := readAll(t, r, c, "/proc/sys/fs/epoll/max_user_watches"); got != "19000\n" {
		t.Errorf("max_user_watches %q", got)
	}
	// The nested directory's parent is /proc/sys/fs, not /proc/sys.
	if a, b := readAll(t, r, c, "/proc/sys/fs/epoll/../mount-max"), readAll(t, r, c, "/proc/sys/fs/mount-max"); a != b {
		t.Errorf("/proc/sys/fs/epoll/../mount-max %q, /proc/sys/fs/mount-max %q", a, b)
	}
}
