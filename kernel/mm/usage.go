package mm

// What /proc reports of an address space: its size, what is resident and
// of which kind, its high-water marks and the program's layout (the
// counters of Linux's mm_struct that fs/proc/task_mmu.c and
// fs/proc/array.c print).

// Layout is where exec put the program (mm_struct's start_code ...
// start_stack), for /proc/PID/stat.
type Layout struct {
	StartCode, EndCode, StartData, EndData, StartStack uintptr
}

// Usage is an address space's memory use. Sizes are in pages unless
// named otherwise.
type Usage struct {
	// TotalVM is the mapped address space; DataVM, StackVM and ExecVM
	// its private writable, stack and executable parts (vm_stat_account's
	// classes); HiwaterVM the most ever mapped.
	TotalVM, DataVM, StackVM, ExecVM, HiwaterVM uint64
	// RSS is the pages present, HiwaterRSS the most ever present; Anon,
	// File and Shmem split RSS as Linux's MM_ANONPAGES, MM_FILEPAGES
	// and MM_SHMEMPAGES do.
	RSS, HiwaterRSS      uint64
	Anon, File, Shmem    uint64
	PageTableBytes       uint64 // mm_pgtables_bytes
	Layout               Layout
	BrkStart, Brk        uintptr
	Locked, Pinned, Swap uint64 // always 0: no mlock accounting, no swap
}

// addRSS counts n more resident pages. The caller holds as.mu.
func (as *AddressSpace) addRSS(n uint64) {
	as.rss += n
	as.hiwaterRSS = max(as.hiwaterRSS, as.rss)
}

// totalVM is the mapped size in pages. The caller holds as.mu.
func (as *AddressSpace) totalVM() uint64 {
	var n uintptr
	for _, v := range as.vmas {
		n += v.End - v.Start
	}
	return uint64(n / PageSize)
}

// noteVM updates the address-space high-water mark after a mapping grew
// (update_hiwater_vm). The caller holds as.mu.
func (as *AddressSpace) noteVM() { as.hiwaterVM = max(as.hiwaterVM, as.totalVM()) }

// SetLayout records where exec put the program.
func (as *AddressSpace) SetLayout(l Layout) {
	as.mu.Lock()
	as.layout = l
	as.mu.Unlock()
}

// RSS returns the pages present in the address space (mm_struct's rss,
// summed).
func (as *AddressSpace) RSS() uint64 {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.rss
}

// Usage reports the address space's memory use. The split of the
// resident pages walks the page table (mappings are few and absent
// tables are skipped whole); the totals are kept as pages come and go.
func (as *AddressSpace) Usage() Usage {
	as.mu.Lock()
	defer as.mu.Unlock()
	u := Usage{
		TotalVM:    as.totalVM(),
		RSS:        as.rss,
		HiwaterRSS: max(as.hiwaterRSS, as.rss),
		Layout:     as.layout,
		BrkStart:   as.brkStart,
		Brk:        as.brk,
	}
	u.HiwaterVM = max(as.hiwaterVM, u.TotalVM)
	for _, v := range as.vmas {
		pages := uint64((v.End - v.Start) / PageSize)
		// is_stack_mapping, is_data_mapping, is_exec_mapping
		// (mm/internal.h): VM_STACK is VM_GROWSDOWN on x86.
		write, exec := v.Prot&ProtWrite != 0, v.Prot&ProtExec != 0
		shared, stack := v.Flags&MapShared != 0, v.Flags&MapGrowsDown != 0
		switch {
		case stack:
			u.StackVM += pages
		case write && !shared:
			u.DataVM += pages
		case exec && !write:
			u.ExecVM += pages
		}
		_, shmem := v.Obj.(*Shmem)
		as.pt.leafTables(v.Start, v.End, func(base uintptr, t *[512]PTE) {
			for i := range t {
				va := base + uintptr(i)*PageSize
				if va < v.Start || va >= v.End || !t[i].Present() {
					continue
				}
				switch {
				case t[i]&PTEAnon != 0:
					u.Anon++
				case shmem:
					u.Shmem++
				default:
					u.File++ // file pages, and the kernel's vDSO pages
				}
			}
		})
	}
	u.PageTableBytes = countTables(as.pt.Root, levelPML4, 0) * PageSize
	return u
}

// countTables counts the page-table pages of the lower half under the
// table at pa, which covers va at level, not counting the table itself
// nor the kernel's shared MMIO tables (what freeTables would free, less
// the root: Linux's mm_pgtables_bytes leaves out the PGD).
func countTables(pa uint64, level int, va uintptr) uint64 {
	var c uint64
	userTables(pa, level, va, func(pa uint64, level int, va uintptr) {
		c += 1 + countTables(pa, level, va)
	})
	return c
}
