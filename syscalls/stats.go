package syscalls

import (
	"sort"
	"strings"
	"sync/atomic"

	"oyako/kernel"
	"oyako/kernel/klog"
	"oyako/syscalls/sysno"
)

// errnoSeen records, per system call number, which errnos (below 256)
// it has returned: bit e of word e/64. With kernel.SyscallCounts it tells
// a test which calls and which error paths a program exercised.
var errnoSeen [sysno.NR][4]atomic.Uint64

// outOfTable counts calls with a number above the table (ENOSYS).
var outOfTable atomic.Uint64

// recordErrno notes that system call nr failed with errno e.
func recordErrno(nr uint64, e uint32) {
	if nr >= sysno.NR {
		outOfTable.Add(1)
		return
	}
	if e < 256 {
		errnoSeen[nr][e/64].Or(1 << (e % 64))
	}
}

// ReportStats writes the per-call counters to the side channel, one
// line per system call that was made:
//
//	oyako-sys NAME CALLS [ERRNO,ERRNO...]
//
// and "oyako-sys (above-table) CALLS" for numbers beyond the table; then
// the kernel's own runtime's calls as "oyako-svc NAME CALLS". Tests read
// them to see what a program exercised (qemu.SyscallStats) and what the
// kernel's runtime asked of the runtime services.
func ReportStats() {
	var lines []string
	for nr := range kernel.SyscallCounts {
		n := kernel.SyscallCounts[nr].Load()
		if n == 0 {
			continue
		}
		var errs []string
		for e := uint32(1); e < 256; e++ {
			if errnoSeen[nr][e/64].Load()&(1<<(e%64)) != 0 {
				errs = append(errs, errnoSymbol(e))
			}
		}
		name := sysno.Name(uint64(nr))
		if name == "" {
			name = "(unassigned-" + itoa(int64(nr)) + ")"
		}
		l := "oyako-sys " + name + " " + itoa(int64(n))
		if len(errs) > 0 {
			l += " " + strings.Join(errs, ",")
		}
		lines = append(lines, l)
	}
	if n := outOfTable.Load(); n > 0 {
		lines = append(lines, "oyako-sys (above-table) "+itoa(int64(n)))
	}
	for nr := uintptr(0); nr < sysno.NR; nr++ {
		if n := kernel.ServiceCalls(nr); n > 0 {
			lines = append(lines, "oyako-svc "+sysno.Name(uint64(nr))+" "+itoa(int64(n)))
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		klog.SideLine(l)
	}
}
