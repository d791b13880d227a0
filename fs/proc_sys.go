package fs

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// The system-wide files of /proc: meminfo, cpuinfo, stat, uptime,
// loadavg, version and the /proc/sys tree, formatted as Linux's
// fs/proc/*.c, arch/x86/kernel/cpu/proc.c and kernel/sysctl.c print
// them, from what the kernel reports through SystemInfo.

// SystemInfo is the system-wide state /proc reports; the kernel
// implements it.
type SystemInfo interface {
	// Uptime is the time since boot and the CPUs' idle time, in ns.
	Uptime() (up, idle int64)
	LoadAvg() LoadAvg
	MemInfo() MemInfo
	CPUs() []CPUInfo
	Stat() SysStat
	UTS() UTS
	// SetHostname and SetDomainname change the UTS names (the
	// privilege check is the caller's).
	SetHostname(name string)
	SetDomainname(name string)
	// PIDMax is /proc/sys/kernel/pid_max.
	PIDMax() int
	// DropCaches does what a write of what (1 to 4) to
	// /proc/sys/vm/drop_caches asks: 2 frees the kernel's reclaimable
	// objects (its heap's free memory goes back to the frames).
	DropCaches(what int)
	// MaxMapCount and SetMaxMapCount are /proc/sys/vm/max_map_count.
	MaxMapCount() int
	SetMaxMapCount(n int)
	// MaxUserWatches and SetMaxUserWatches are
	// /proc/sys/fs/epoll/max_user_watches.
	MaxUserWatches() int
	SetMaxUserWatches(n int)
}

// LoadAvg is what /proc/loadavg shows.
type LoadAvg struct {
	// Avg are the 1, 5 and 15 minute averages, fixed point with 11
	// fractional bits (FSHIFT).
	Avg [3]uint64
	// Running and Threads count the runnable and all threads; LastPID
	// is the last ID allocated.
	Running, Threads int
	LastPID          int32
}

// MemInfo is what /proc/meminfo shows, in bytes. Lines without a field
// here are 0: there is no swap, no huge pages and no writeback.
type MemInfo struct {
	Total, Free, Available uint64
	// Cached is the page cache: the pages of files and of shared memory
	// (Shmem); Unevictable the part of it with no backing store.
	Cached, Shmem, Unevictable uint64
	// Anon and Mapped are anonymous and file pages mapped by processes.
	Anon, Mapped                uint64
	KernelStack, PageTables     uint64
	CommitLimit, Committed      uint64
	DirectMap4k, DirectMap2M    uint64
	DirectMap1G, VmallocTotal   uint64
	HugePageSize                uint64
	ActiveAnon, InactiveAnon    uint64
	ActiveFile, InactiveFile    uint64
	Buffers, Slab, SReclaimable uint64
}

// CPUInfo describes a CPU for /proc/cpuinfo.
type CPUInfo struct {
	Processor               int
	VendorID, ModelName     string
	Family, Model, Stepping uint32
	Microcode               uint32
	KHz                     uint64 // cpu MHz and bogomips come from it
	CacheKB                 int    // 0: no "cache size" line
	PhysicalID, Siblings    int
	CoreID, Cores           int
	APICID, InitialAPICID   int
	CPUIDLevel              uint32
	Flags, VMXFlags, Bugs   []string
	TLBSize                 int // AMD's "TLB size" (0: no line)
	ClflushSize, CacheAlign int
	PhysBits, VirtBits      int
	PowerManagement         []string
}

// SysStat is what /proc/stat shows. CPU times are in ns.
type SysStat struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal, Guest, GuestNice int64
	Intr, Ctxt                                                              uint64
	BootTime                                                                int64 // seconds since the epoch
	Processes                                                               uint64
	Running, Blocked                                                        int
}

// UTS are the names uname(2) reports.
type UTS struct {
	Sysname, Nodename, Release, Version, Machine, Domainname string
}

// utsLen is __NEW_UTS_LEN: a name is at most 64 bytes.
const utsLen = 64

func init() {
	sysFile := func(name string, format func(s SystemInfo) string) {
		registerProcRoot(name, DT_REG, func(p *ProcDir, _ Ctx, ino uint64) Inode {
			return &procFile{ino: ino, mode: 0o444, content: func() ([]byte, error) { return []byte(format(p.src)), nil }}
		})
	}
	sysFile("meminfo", func(s SystemInfo) string { return formatMeminfo(s.MemInfo()) })
	sysFile("cpuinfo", func(s SystemInfo) string { return formatCPUInfo(s.CPUs()) })
	sysFile("stat", func(s SystemInfo) string { return formatSysStat(s.Stat()) })
	sysFile("uptime", func(s SystemInfo) string { return formatUptime(s.Uptime()) })
	sysFile("loadavg", func(s SystemInfo) string { return formatLoadavg(s.LoadAvg()) })
	sysFile("version", func(s SystemInfo) string { return formatVersion(s.UTS()) })
	registerProcRoot("sys", DT_DIR, func(p *ProcDir, _ Ctx, ino uint64) Inode { return procSysDir(p, ino) })
}

// formatMeminfo is /proc/meminfo (meminfo_proc_show): every line of a
// 6.18 x86-64 kernel without CMA or memory-failure support.
func formatMeminfo(m MemInfo) string {
	var b strings.Builder
	kb := func(name string, v uint64) { fmt.Fprintf(&b, "%-16s%8d kB\n", name+":", v>>10) }
	n := func(name string, v uint64) { fmt.Fprintf(&b, "%-16s%8d\n", name+":", v) }
	kb("MemTotal", m.Total)
	kb("MemFree", m.Free)
	kb("MemAvailable", m.Available)
	kb("Buffers", m.Buffers)
	kb("Cached", m.Cached)
	kb("SwapCached", 0)
	kb("Active", m.ActiveAnon+m.ActiveFile)
	kb("Inactive", m.InactiveAnon+m.InactiveFile)
	kb("Active(anon)", m.ActiveAnon)
	kb("Inactive(anon)", m.InactiveAnon)
	kb("Active(file)", m.ActiveFile)
	kb("Inactive(file)", m.InactiveFile)
	kb("Unevictable", m.Unevictable)
	kb("Mlocked", 0)
	kb("SwapTotal", 0)
	kb("SwapFree", 0)
	kb("Zswap", 0)
	kb("Zswapped", 0)
	kb("Dirty", 0)
	kb("Writeback", 0)
	kb("AnonPages", m.Anon)
	kb("Mapped", m.Mapped)
	kb("Shmem", m.Shmem)
	kb("KReclaimable", m.SReclaimable)
	kb("Slab", m.Slab)
	kb("SReclaimable", m.SReclaimable)
	kb("SUnreclaim", m.Slab-m.SReclaimable)
	kb("KernelStack", m.KernelStack)
	kb("PageTables", m.PageTables)
	kb("SecPageTables", 0)
	kb("NFS_Unstable", 0)
	kb("Bounce", 0)
	kb("WritebackTmp", 0)
	kb("CommitLimit", m.CommitLimit)
	kb("Committed_AS", m.Committed)
	kb("VmallocTotal", m.VmallocTotal)
	kb("VmallocUsed", 0)
	kb("VmallocChunk", 0)
	kb("Percpu", 0)
	kb("AnonHugePages", 0)
	kb("ShmemHugePages", 0)
	kb("ShmemPmdMapped", 0)
	kb("FileHugePages", 0)
	kb("FilePmdMapped", 0)
	kb("Balloon", 0)
	n("HugePages_Total", 0)
	n("HugePages_Free", 0)
	n("HugePages_Rsvd", 0)
	n("HugePages_Surp", 0)
	kb("Hugepagesize", m.HugePageSize)
	kb("Hugetlb", 0)
	kb("DirectMap4k", m.DirectMap4k)
	kb("DirectMap2M", m.DirectMap2M)
	kb("DirectMap1G", m.DirectMap1G)
	return b.String()
}

// formatCPUInfo is /proc/cpuinfo (x86's show_cpuinfo), a block per CPU.
func formatCPUInfo(cpus []CPUInfo) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	for _, c := range cpus {
		p("processor\t: %d\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\nmodel name\t: %s\n",
			c.Processor, c.VendorID, c.Family, c.Model, orUnknown(c.ModelName))
		p("stepping\t: %d\nmicrocode\t: 0x%x\n", c.Stepping, c.Microcode)
		if c.KHz != 0 {
			p("cpu MHz\t\t: %d.%03d\n", c.KHz/1000, c.KHz%1000)
		}
		if c.CacheKB > 0 {
			p("cache size\t: %d KB\n", c.CacheKB)
		}
		p("physical id\t: %d\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\n",
			c.PhysicalID, c.Siblings, c.CoreID, c.Cores, c.APICID, c.InitialAPICID)
		p("fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %d\nwp\t\t: yes\n", c.CPUIDLevel)
		p("flags\t\t: %s\n", strings.Join(c.Flags, " "))
		if len(c.VMXFlags) > 0 {
			p("vmx flags\t: %s\n", strings.Join(c.VMXFlags, " "))
		}
		p("bugs\t\t: %s\n", strings.Join(c.Bugs, " "))
		// loops_per_jiffy is the TSC rate (x86's calibrate_delay):
		// BogoMIPS is twice the MHz.
		p("bogomips\t: %d.%02d\n", c.KHz/500, c.KHz/5%100)
		if c.TLBSize > 0 {
			p("TLB size\t: %d 4K pages\n", c.TLBSize)
		}
		p("clflush size\t: %d\ncache_alignment\t: %d\naddress sizes\t: %d bits physical, %d bits virtual\n",
			c.ClflushSize, c.CacheAlign, c.PhysBits, c.VirtBits)
		b.WriteString("power management:")
		for _, f := range c.PowerManagement {
			b.WriteString(" " + f)
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// formatSysStat is /proc/stat (show_stat): the CPU times in clock
// ticks, for all CPUs and then each (oyako has one), then the counters.
// Interrupts are counted as a total only.
func formatSysStat(s SysStat) string {
	var b strings.Builder
	times := []int64{s.User, s.Nice, s.System, s.Idle, s.IOWait, s.IRQ, s.SoftIRQ, s.Steal, s.Guest, s.GuestNice}
	for _, label := range []string{"cpu ", "cpu0"} {
		b.WriteString(label)
		for _, t := range times {
			b.WriteString(" " + strconv.FormatUint(ClockTicks(t), 10))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "intr %d\nctxt %d\nbtime %d\nprocesses %d\nprocs_running %d\nprocs_blocked %d\n",
		s.Intr, s.Ctxt, s.BootTime, s.Processes, s.Running, s.Blocked)
	b.WriteString("softirq 0 0 0 0 0 0 0 0 0 0 0\n")
	return b.String()
}

// formatUptime is /proc/uptime: seconds since boot and idle seconds,
// with two decimals (uptime_proc_show).
func formatUptime(up, idle int64) string {
	cs := func(ns int64) string {
		c := max(ns, 0) / 1e7
		return fmt.Sprintf("%d.%02d", c/100, c%100)
	}
	return cs(up) + " " + cs(idle) + "\n"
}

// formatLoadavg is /proc/loadavg (loadavg_proc_show): the averages with
// two decimals (LOAD_INT, LOAD_FRAC), running/total threads, the last
// PID.
func formatLoadavg(l LoadAvg) string {
	var b strings.Builder
	for _, a := range l.Avg {
		a += 1 << 11 / 200 // FIXED_1/200: round to the second decimal
		fmt.Fprintf(&b, "%d.%02d ", a>>11, (a&(1<<11-1))*100>>11)
	}
	fmt.Fprintf(&b, "%d/%d %d\n", l.Running, l.Threads, l.LastPID)
	return b.String()
}

// formatVersion is /proc/version (linux_proc_banner): who built the
// kernel, with what, is oyako and the Go toolchain.
func formatVersion(u UTS) string {
	return fmt.Sprintf("%s version %s (oyako@oyako) (%s) %s\n", u.Sysname, u.Release, runtime.Version(), u.Version)
}

// procSysDir is /proc/sys: the few sysctls oyako has.
func procSysDir(p *ProcDir, ino uint64) *procStaticDir {
	src := p.src
	ro := func(v func() string) procStaticEntry {
		return procStaticEntry{ino: NewIno(), dt: DT_REG, make: func(_ *procStaticDir, ino uint64) Inode {
			return &procFile{ino: ino, mode: 0o444, sysctl: true, content: func() ([]byte, error) { return []byte(v() + "\n"), nil }}
		}}
	}
	uts := func(get func() string, set func(string)) procStaticEntry {
		e := ro(get)
		e.make = func(_ *procStaticDir, ino uint64) Inode {
			return &procFile{ino: ino, mode: 0o644, sysctl: true,
				content: func() ([]byte, error) { return []byte(get() + "\n"), nil },
				write: func(_ Ctx, b []byte, off int64) (int, error) {
					v, ok := sysctlString(get(), b, off, utsLen+1)
					if ok {
						set(v)
					}
					return len(b), nil
				}}
		}
		return e
	}
	// num is a read-write integer sysctl (proc_dointvec_minmax); set
	// nil makes it write-only (mode 0200, as drop_caches).
	num := func(get func() int, set func(int), lo, hi int) procStaticEntry {
		return procStaticEntry{ino: NewIno(), dt: DT_REG, make: func(_ *procStaticDir, ino uint64) Inode {
			f := &procFile{ino: ino, mode: 0o644, sysctl: true,
				content: func() ([]byte, error) { return []byte(strconv.Itoa(get()) + "\n"), nil },
				write: func(_ Ctx, b []byte, off int64) (int, error) {
					if off != 0 {
						// Strict mode (sysctl_writes_strict): a
						// numeric write past the start is ignored.
						return 0, nil
					}
					v, err := sysctlInt(b, lo, hi)
					if err != nil {
						return 0, err
					}
					set(v)
					return len(b), nil
				}}
			if get == nil {
				f.mode, f.content = 0o200, nil
			}
			return f
		}}
	}
	named := func(name string, e procStaticEntry) procStaticEntry { e.name = name; return e }
	d := &procStaticDir{ino: ino, parent: p}
	// subdir makes directory name in /proc/sys holding entries; a
	// directory among them, made before this one, is moved into it.
	subdir := func(name string, entries ...procStaticEntry) procStaticEntry {
		sub := &procStaticDir{ino: NewIno(), entries: entries, parent: d}
		for _, e := range entries {
			if e.dt == DT_DIR {
				e.make(sub, 0).(*procStaticDir).parent = sub
			}
		}
		return procStaticEntry{name: name, ino: sub.ino, dt: DT_DIR, make: func(*procStaticDir, uint64) Inode { return sub }}
	}
	d.entries = []procStaticEntry{
		subdir("fs",
			subdir("epoll",
				named("max_user_watches", num(src.MaxUserWatches, src.SetMaxUserWatches, 0, 1<<31-1))),
			named("file-max", num(func() int { return int(FileMax.Load()) }, func(n int) { FileMax.Store(int64(n)) }, 0, 1<<31-1)),
			// file-nr: allocated, unused (always 0 since 2.6), maximum.
			named("file-nr", ro(func() string { return fmt.Sprintf("%d\t0\t%d", OpenFiles(), FileMax.Load()) })),
			named("mount-max", num(func() int { return int(MountMax.Load()) }, func(n int) { MountMax.Store(int64(n)) }, 1, 1<<31-1)),
			named("nr_open", ro(func() string { return strconv.Itoa(1 << 20) })),
			named("pipe-max-size", ro(func() string { return strconv.Itoa(PipeMaxSize) })),
		),
		subdir("net",
			subdir("core",
				named("somaxconn", ro(func() string { return "4096" }))),
			subdir("ipv4",
				named("ip_local_port_range", ro(func() string { return "32768\t60999" })),
				named("ping_group_range", pingGroupRange()),
				named("tcp_rmem", ro(func() string { return "4096\t131072\t6291456" })),
				named("tcp_wmem", ro(func() string { return "4096\t16384\t4194304" })),
			),
		),
		subdir("vm",
			named("drop_caches", num(nil, src.DropCaches, 1, 4)),
			named("max_map_count", num(src.MaxMapCount, src.SetMaxMapCount, 0, 1<<31-1)),
		),
		subdir("kernel",
			named("cap_last_cap", ro(func() string { return "40" })),
			named("domainname", uts(func() string { return src.UTS().Domainname }, src.SetDomainname)),
			named("hostname", uts(func() string { return src.UTS().Nodename }, src.SetHostname)),
			named("ngroups_max", ro(func() string { return "65536" })),
			named("osrelease", ro(func() string { return src.UTS().Release })),
			named("ostype", ro(func() string { return src.UTS().Sysname })),
			named("pid_max", ro(func() string { return strconv.Itoa(src.PIDMax()) })),
			named("version", ro(func() string { return src.UTS().Version })),
		),
	}
	return d
}

// PingGroupRange is net.ipv4.ping_group_range: the groups whose
// members may open ICMP echo ("ping") sockets. The default is the
// range systemd-based distributions (Debian among them) set at boot,
// every group, rather than the kernel's "1 0" (nobody), so ping
// sockets work out of the box as on those systems.
var PingGroupRange = struct {
	sync.Mutex
	Lo, Hi uint32
}{Lo: 0, Hi: 2147483647}

// pingGroupRange is ping_group_range's file (ipv4_ping_group_range):
// two group IDs; a write with lo > hi, or either above 2^31-1, turns
// the range off as "1 0".
func pingGroupRange() procStaticEntry {
	return procStaticEntry{ino: NewIno(), dt: DT_REG, make: func(_ *procStaticDir, ino uint64) Inode {
		return &procFile{ino: ino, mode: 0o644, sysctl: true,
			content: func() ([]byte, error) {
				PingGroupRange.Lock()
				defer PingGroupRange.Unlock()
				return []byte(fmt.Sprintf("%d\t%d\n", PingGroupRange.Lo, PingGroupRange.Hi)), nil
			},
			write: func(_ Ctx, b []byte, off int64) (int, error) {
				if off != 0 {
					return 0, nil
				}
				f := strings.Fields(string(b))
				if len(f) != 2 {
					return 0, linuxerr.EINVAL
				}
				lo, err1 := strconv.ParseUint(f[0], 10, 32)
				hi, err2 := strconv.ParseUint(f[1], 10, 32)
				if err1 != nil || err2 != nil || lo > 1<<31-1 || hi > 1<<31-1 {
					return 0, linuxerr.EINVAL
				}
				PingGroupRange.Lock()
				PingGroupRange.Lo, PingGroupRange.Hi = uint32(lo), uint32(hi)
				if lo > hi {
					PingGroupRange.Lo, PingGroupRange.Hi = 1, 0
				}
				PingGroupRange.Unlock()
				return len(b), nil
			}}
	}}
}

// sysctlInt parses a write of b to an integer sysctl as
// proc_dointvec_minmax does: leading blanks, an optional sign, decimal
// digits, then blanks or the end; a value outside [lo, hi] or anything
// else is EINVAL.
func sysctlInt(b []byte, lo, hi int) (int, error) {
	s := strings.TrimLeft(string(b), " \t\n")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	digits := end
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == digits || strings.TrimRight(s[end:], " \t\n\x00") != "" {
		return 0, linuxerr.EINVAL
	}
	v, err := strconv.Atoi(s[:end])
	if err != nil || v < lo || v > hi {
		return 0, linuxerr.EINVAL
	}
	return v, nil
}

// sysctlString applies a write of b at offset off to the string sysctl
// cur of at most max-1 bytes, as proc_dostring does in its default
// strict mode: a write continues the value at off (not past its end),
// up to a NUL or newline. ok is false when nothing changes.
func sysctlString(cur string, b []byte, off int64, max int) (string, bool) {
	if len(cur) > max-1 {
		cur = cur[:max-1]
	}
	if off > int64(len(cur)) || off < 0 {
		return cur, false
	}
	v := []byte(cur[:off])
	for _, c := range b {
		if c == 0 || c == '\n' || len(v) >= max-1 {
			break
		}
		v = append(v, c)
	}
	return string(v), true
}
