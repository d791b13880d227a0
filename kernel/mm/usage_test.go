package mm

import "testing"

// TestUsage follows the resident counts and their split through faults,
// copy-on-write, mprotect, mremap, fork and munmap.
func TestUsage(t *testing.T) {
	newTestKernel(t)
	as, _ := NewAddressSpace()
	defer as.DecRef(nil)
	check := func(what string, want Usage) {
		t.Helper()
		u := as.Usage()
		if u.RSS != want.RSS || u.Anon != want.Anon || u.File != want.File || u.Shmem != want.Shmem || u.HiwaterRSS != want.HiwaterRSS {
			t.Errorf("%s: rss %d (anon %d file %d shmem %d) hwm %d, want rss %d (anon %d file %d shmem %d) hwm %d", what,
				u.RSS, u.Anon, u.File, u.Shmem, u.HiwaterRSS, want.RSS, want.Anon, want.File, want.Shmem, want.HiwaterRSS)
		}
		if u.Anon+u.File+u.Shmem != u.RSS {
			t.Errorf("%s: the split %d+%d+%d does not add up to rss %d", what, u.Anon, u.File, u.Shmem, u.RSS)
		}
	}
	anon, _ := as.Map(MapParams{Length: 4 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	as.CopyOut(anon, []byte{1})
	as.CopyOut(anon+PageSize, []byte{1})
	check("two anonymous pages", Usage{RSS: 2, Anon: 2, HiwaterRSS: 2})

	f := newTestFile(make([]byte, 2*PageSize))
	file, _ := as.Map(MapParams{Length: 2 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate, Obj: f})
	var b [1]byte
	as.CopyIn(file, b[:])
	as.CopyIn(file+PageSize, b[:])
	check("two file pages read", Usage{RSS: 4, Anon: 2, File: 2, HiwaterRSS: 4})
	as.CopyOut(file, []byte{2})
	check("one written (a private copy)", Usage{RSS: 4, Anon: 3, File: 1, HiwaterRSS: 4})

	shm, _ := as.Map(MapParams{Length: PageSize, Prot: ProtRead | ProtWrite, Flags: MapShared | MapAnonymous})
	as.CopyOut(shm, []byte{3})
	check("a shared anonymous page", Usage{RSS: 5, Anon: 3, File: 1, Shmem: 1, HiwaterRSS: 5})

	if err := as.Protect(anon, 4*PageSize, ProtRead); err != nil {
		t.Fatal(err)
	}
	check("mprotect keeps the kind", Usage{RSS: 5, Anon: 3, File: 1, Shmem: 1, HiwaterRSS: 5})
	as.Protect(anon, 4*PageSize, ProtRead|ProtWrite)

	moved, err := as.Remap(anon, 4*PageSize, 8*PageSize, MremapMaymove|MremapFixed, 0x10000000)
	if err != nil || moved != 0x10000000 {
		t.Fatalf("mremap: %#x %v", moved, err)
	}
	check("mremap moves pages", Usage{RSS: 5, Anon: 3, File: 1, Shmem: 1, HiwaterRSS: 5})

	child, err := as.Fork()
	if err != nil {
		t.Fatal(err)
	}
	if u := child.Usage(); u.RSS != 5 || u.Anon != 3 || u.File != 1 || u.Shmem != 1 || u.HiwaterRSS != 5 || u.TotalVM != as.Usage().TotalVM {
		t.Errorf("child after fork: %+v", u)
	}
	child.DecRef(nil)

	as.Unmap(moved, 8*PageSize)
	check("munmap", Usage{RSS: 3, Anon: 1, File: 1, Shmem: 1, HiwaterRSS: 5})
	as.Discard(file, 2*PageSize)
	check("MADV_DONTNEED", Usage{RSS: 1, Shmem: 1, HiwaterRSS: 5})

	u := as.Usage()
	// Left: the private file mapping (writable: data) and the shared page.
	if u.TotalVM != 3 || u.DataVM != 2 || u.StackVM != 0 || u.ExecVM != 0 || u.HiwaterVM != 11 {
		t.Errorf("vm %d data %d stack %d exec %d peak %d, want 3 2 0 0 11", u.TotalVM, u.DataVM, u.StackVM, u.ExecVM, u.HiwaterVM)
	}
	if u.PageTableBytes == 0 || u.PageTableBytes%PageSize != 0 {
		t.Errorf("page-table bytes %d", u.PageTableBytes)
	}
	as.Map(MapParams{Length: PageSize, Prot: ProtRead | ProtExec, Flags: MapPrivate | MapAnonymous})
	as.Map(MapParams{Length: 2 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous | MapGrowsDown})
	if u := as.Usage(); u.ExecVM != 1 || u.StackVM != 2 {
		t.Errorf("exec %d stack %d, want 1 2", u.ExecVM, u.StackVM)
	}
}
