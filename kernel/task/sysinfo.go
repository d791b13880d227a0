package task

import (
	"sync"
	"sync/atomic"

	"oyako/kernel"

	"oyako/amd64"
	"oyako/epoll"
	"oyako/fs"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/kernel/sched"
)

// The system-wide state /proc reports (fs.SystemInfo), and the UTS
// names uname(2), sethostname(2) and /proc/sys/kernel share.

// UTS names that do not change (uname(2)).
const (
	UnameSysname = "Linux"
	UnameRelease = "6.18.0-oyako"
	UnameVersion = "#1 SMP oyako"
	UnameMachine = "x86_64"
)

var (
	utsMu      sync.Mutex
	hostname   = "oyako"
	domainname = "(none)"
)

// UTS returns the names uname(2) reports.
func UTS() fs.UTS {
	utsMu.Lock()
	defer utsMu.Unlock()
	return fs.UTS{Sysname: UnameSysname, Nodename: hostname, Release: UnameRelease, Version: UnameVersion, Machine: UnameMachine, Domainname: domainname}
}

// SetHostname sets the node name (sethostname(2), at most 64 bytes).
func SetHostname(name string) {
	utsMu.Lock()
	hostname = name
	utsMu.Unlock()
}

// SetDomainname sets the NIS domain name (setdomainname(2)).
func SetDomainname(name string) {
	utsMu.Lock()
	domainname = name
	utsMu.Unlock()
}

var (
	// totalForks counts the processes and threads ever created
	// (total_forks, /proc/stat's "processes").
	totalForks atomic.Uint64
	// exitedUserNanos is the user CPU time of the threads that have
	// ended, for /proc/stat's system-wide times.
	exitedUserNanos atomic.Int64
)

// UTS implements fs.SystemInfo.
func (procTable) UTS() fs.UTS { return UTS() }

// SetHostname implements fs.SystemInfo.
func (procTable) SetHostname(name string) { SetHostname(name) }

// SetDomainname implements fs.SystemInfo.
func (procTable) SetDomainname(name string) { SetDomainname(name) }

// PIDMax implements fs.SystemInfo.
func (procTable) PIDMax() int { return pidMax }

// DropCaches implements fs.SystemInfo: there is no page cache to drop
// (files have no backing store), so 1 does nothing; 2 and 3 make the
// kernel's runtime collect and give its free heap back (the slab caches'
// counterpart); 4 only silences Linux's log message.
func (procTable) DropCaches(what int) {
	if what&2 != 0 {
		kernel.DropCaches()
	}
}

// MaxMapCount implements fs.SystemInfo.
func (procTable) MaxMapCount() int { return int(mm.MaxMapCount.Load()) }

// SetMaxMapCount implements fs.SystemInfo.
func (procTable) SetMaxMapCount(n int) { mm.MaxMapCount.Store(int32(n)) }

// MaxUserWatches implements fs.SystemInfo.
func (procTable) MaxUserWatches() int { return int(epoll.MaxUserWatches.Load()) }

// SetMaxUserWatches implements fs.SystemInfo.
func (procTable) SetMaxUserWatches(n int) { epoll.MaxUserWatches.Store(int64(n)) }

// idleNanos is the time the CPU has spent idle.
func idleNanos() int64 { return ktime.TicksToNanos(sched.IdleTicks()) }

// Uptime implements fs.SystemInfo.
func (procTable) Uptime() (up, idle int64) { return kernel.Uptime(), idleNanos() }

// taskStates counts the user threads and those running or runnable
// (nr_running).
func taskStates() (total, running int) {
	procMu.Lock()
	all := make([]*Task, 0, len(tasks))
	for _, t := range tasks {
		all = append(all, t)
	}
	procMu.Unlock()
	for _, t := range all {
		t.Proc.mu.Lock()
		if t.stateLocked() == 'R' {
			running++
		}
		t.Proc.mu.Unlock()
	}
	return len(all), running
}

// LoadAvg implements fs.SystemInfo.
func (procTable) LoadAvg() fs.LoadAvg {
	total, running := taskStates()
	procMu.Lock()
	last := lastPID
	procMu.Unlock()
	return fs.LoadAvg{Avg: LoadAvg(), Running: running, Threads: total, LastPID: last}
}

// MemInfo implements fs.SystemInfo. There is no swap: the page cache
// (files and shared memory, which have no backing store) is never
// evicted, so the files' pages are Unevictable (as ramfs's are on Linux)
// and shared memory, like all anonymous memory, stays on the active list.
// The kernel's own heap is Slab, and its free spans, which the kernel
// hands back when programs need the memory (mm/reserve.go), are
// SReclaimable and count in MemAvailable, as reclaimable slab does.
func (procTable) MemInfo() fs.MemInfo {
	total, free := kernel.MemTotals()
	heap, reclaimable := kernel.HeapMemory()
	cache, shmem := mm.CacheStats()
	anon, mapped, pageTables, committed := memoryTotals()
	m := fs.MemInfo{
		Total: total, Free: free, Available: free + reclaimable,
		Slab: heap, SReclaimable: reclaimable,
		Cached: cache * mm.PageSize, Shmem: shmem * mm.PageSize, Unevictable: (cache - shmem) * mm.PageSize,
		Anon: anon, Mapped: mapped, PageTables: pageTables,
		CommitLimit: total / 2, // vm.overcommit_ratio 50, no swap
		Committed:   committed,
		// 4-level paging: VMALLOC_SIZE_TB 32.
		VmallocTotal: 32<<40 - 1, HugePageSize: mm.HugeSize,
	}
	m.ActiveAnon = anon + m.Shmem
	// The direct map uses the largest pages the CPU has.
	if top := kernel.Boot.RAMTop(); amd64.CPU.Has(amd64.FeaturePDPE1GB) {
		m.DirectMap1G = (top + mm.GigaSize - 1) &^ (mm.GigaSize - 1)
	} else {
		m.DirectMap2M = (top + mm.HugeSize - 1) &^ (mm.HugeSize - 1)
	}
	return m
}

// Stat implements fs.SystemInfo. The CPU's time is its idle time, the
// user time of every thread that ran, and the rest (system calls, faults,
// interrupts and the kernel's own work) counted as system time. Nothing
// waits for I/O (procs_blocked counts iowait only), and interrupts are
// not counted.
func (procTable) Stat() fs.SysStat {
	up, idle := kernel.Uptime(), idleNanos()
	user := exitedUserNanos.Load()
	procMu.Lock()
	for _, t := range tasks {
		user += t.CPUNanos()
	}
	procMu.Unlock()
	_, _, nswitch := sched.Stats()
	_, running := taskStates()
	return fs.SysStat{
		User: user, System: max(up-idle-user, 0), Idle: idle,
		Ctxt:      nswitch,
		BootTime:  (ktime.Realtime() - ktime.Now()) / 1e9,
		Processes: totalForks.Load(),
		Running:   running,
	}
}

// CPUs implements fs.SystemInfo.
func (procTable) CPUs() []fs.CPUInfo { return []fs.CPUInfo{kernel.CPUInfo()} }
