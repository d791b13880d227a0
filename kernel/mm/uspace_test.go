package mm

import (
	"bytes"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// newTestKernel sets up fake RAM and a kernel page table with the MMIO
// window mapped, as EarlyInit does.
func newTestKernel(t *testing.T) {
	fakeRAM(t, 32<<20)
	pt, _ := NewPageTable()
	for _, base := range []uintptr{DirectMapBase, RuntimeBase, StackBase, KernelBase} {
		pt.Precreate(base)
	}
	pt.Map(0xfec00000, 0xfec00000, PTEWrite|PTECacheDisable)
	pt.Map(0xfee00000, 0xfee00000, PTEWrite|PTECacheDisable)
	Kernel = KernelSpace{}
	Kernel.Init(pt, RuntimeBase, RuntimeBase+RuntimeSize)
}

// testFile is a file's pages as an Object, as a ramfs file provides them.
type testFile struct {
	Shmem
	maps int
}

func newTestFile(data []byte) *testFile {
	f := &testFile{Shmem: Shmem{size: int64(len(data)), id: NewObjectID()}}
	f.pages.WriteAt(data, 0)
	f.refs.Store(1) // the file's own reference (its name)
	return f
}

func (f *testFile) IncMapRef() { f.maps++; f.Shmem.IncMapRef() }
func (f *testFile) DecMapRef() { f.maps--; f.Shmem.DecMapRef() }

func TestAddressSpaceSharesKernelHalf(t *testing.T) {
	newTestKernel(t)
	_, used0, _ := FrameStats()
	as, err := NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	k, u := table(Kernel.pt.Root), table(as.Root())
	for i := 256; i < 512; i++ {
		if k[i] != u[i] {
			t.Fatalf("PML4[%d] not shared", i)
		}
	}
	if pa, ok := as.pt.Translate(0xfee000b0); !ok || pa != 0xfee000b0 {
		t.Fatalf("LAPIC not reachable in the user page table: %#x %v", pa, ok)
	}
	if e, _, _ := as.pt.Lookup(0xfee00000); e&PTEUser != 0 {
		t.Fatal("MMIO page is user accessible")
	}
	if _, err := as.Map(MapParams{Addr: 0xfec00000, Length: PageSize, Prot: ProtRead, Flags: MapPrivate | MapAnonymous | MapFixed}); err != linuxerr.ENOMEM {
		t.Fatalf("MAP_FIXED over the MMIO window: %v", err)
	}
	// munmap and mremap across the window (the fuzzer's first finding:
	// munmap(0, 4 GiB) unmapped the kernel's IOAPIC and LAPIC pages and
	// freed them): the window stays mapped, nothing of it is freed.
	low, _ := as.Map(MapParams{Addr: 0xfe000000, Length: PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous | MapFixed})
	as.CopyOut(low, []byte{1})
	if err := as.Unmap(0, 1<<33); err != nil {
		t.Fatalf("munmap across the MMIO window: %v", err)
	}
	if pa, ok := as.pt.Translate(0xfee00000); !ok || pa != 0xfee00000 {
		t.Fatal("munmap across the window unmapped the LAPIC")
	}
	if _, ok := as.pt.Translate(low); ok {
		t.Fatal("munmap left the page below the window mapped")
	}
	src, _ := as.Map(MapParams{Length: PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	if _, err := as.Remap(src, PageSize, 2*PageSize, MremapMaymove|MremapFixed, 0xfebff000); err != linuxerr.ENOMEM {
		t.Fatalf("mremap into the MMIO window: %v", err)
	}
	a, _ := as.Map(MapParams{Length: 3 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	as.CopyOut(a, bytes.Repeat([]byte{1}, 3*PageSize))
	as.DecRef(nil)
	if _, used, _ := FrameStats(); used != used0 {
		t.Fatalf("frames in use %d after release, want %d (every page and table back)", used, used0)
	}
	if pa, ok := Kernel.pt.Translate(0xfee00000); !ok || pa != 0xfee00000 {
		t.Fatal("releasing a user address space freed the kernel's MMIO tables")
	}
}

func TestMmapPlacementAndFaults(t *testing.T) {
	newTestKernel(t)
	as, _ := NewAddressSpace()
	a, err := as.Map(MapParams{Length: 2 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	if err != nil || a != MmapBase-2*PageSize {
		t.Fatalf("first mmap at %#x (%v), want top-down from %#x", a, err, uintptr(MmapBase))
	}
	b, _ := as.Map(MapParams{Length: PageSize, Prot: ProtRead, Flags: MapPrivate | MapAnonymous})
	if b != a-PageSize {
		t.Fatalf("second mmap at %#x, want %#x", b, a-PageSize)
	}
	if len(as.VMAs()) != 2 {
		t.Fatalf("%d VMAs", len(as.VMAs()))
	}
	// Demand zero, then data survives; read-only refuses writes.
	if err := as.Fault(a, true, false); err != nil {
		t.Fatal(err)
	}
	if err := as.CopyOut(a+PageSize-2, []byte("abcd")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if err := as.CopyIn(a+PageSize-2, got); err != nil || string(got) != "abcd" {
		t.Fatalf("copy across pages: %q %v", got, err)
	}
	if err := as.CopyOut(b, []byte("x")); err != linuxerr.EFAULT {
		t.Fatalf("write to PROT_READ: %v", err)
	}
	if err := as.CopyIn(0x1000, got); err != linuxerr.EFAULT {
		t.Fatalf("read of unmapped memory: %v", err)
	}
	if err := as.CopyIn(0xffffffff80000000, got); err != linuxerr.EFAULT {
		t.Fatalf("read of a kernel address: %v", err)
	}
	if err := as.CopyIn(UserTop-2, got); err != linuxerr.EFAULT {
		t.Fatalf("read across the top of user space: %v", err)
	}
	// File-backed private mapping reads its backing, zero past the end.
	data := newTestFile(bytes.Repeat([]byte("F"), PageSize+10))
	f, err := as.Map(MapParams{Addr: 0x400000, Length: 2 * PageSize, Prot: ProtRead | ProtExec, Flags: MapPrivate | MapFixed, Obj: data, Name: "/bin/x"})
	if err != nil || f != 0x400000 {
		t.Fatal(err)
	}
	buf := make([]byte, 12)
	as.CopyIn(0x400000+PageSize, buf)
	if string(buf) != "FFFFFFFFFF\x00\x00" {
		t.Fatalf("file-backed page %q", buf)
	}
	if e, _, _ := as.pt.Lookup(0x400000 + PageSize); e&PTENoExec != 0 || e&PTEWrite != 0 || e&PTEUser == 0 {
		t.Fatalf("text leaf %#x", uint64(e))
	}
	// MAP_FIXED_NOREPLACE and bad arguments.
	if _, err := as.Map(MapParams{Addr: 0x400000, Length: PageSize, Prot: ProtRead, Flags: MapPrivate | MapAnonymous | MapFixedNoreplace}); err != linuxerr.EEXIST {
		t.Fatalf("NOREPLACE: %v", err)
	}
	if _, err := as.Map(MapParams{Length: PageSize, Prot: ProtRead, Flags: MapAnonymous}); err != linuxerr.EINVAL {
		t.Fatalf("neither shared nor private: %v", err)
	}
	if _, err := as.Map(MapParams{Addr: 0x400001, Length: PageSize, Prot: ProtRead, Flags: MapPrivate | MapAnonymous | MapFixed}); err != linuxerr.EINVAL {
		t.Fatalf("unaligned MAP_FIXED: %v", err)
	}
	if _, err := as.Map(MapParams{Length: 0, Prot: ProtRead, Flags: MapPrivate | MapAnonymous}); err != linuxerr.EINVAL {
		t.Fatalf("zero length: %v", err)
	}
}

func TestProtectUnmapBrkRemap(t *testing.T) {
	newTestKernel(t)
	as, _ := NewAddressSpace()
	a, _ := as.Map(MapParams{Length: 4 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	as.CopyOut(a, []byte("hello"))
	if err := as.Protect(a+PageSize, PageSize, ProtRead); err != nil {
		t.Fatal(err)
	}
	if n := len(as.VMAs()); n != 3 {
		t.Fatalf("protect split into %d VMAs", n)
	}
	if err := as.CopyOut(a+PageSize, []byte("x")); err != linuxerr.EFAULT {
		t.Fatalf("write after mprotect(PROT_READ): %v", err)
	}
	if err := as.Protect(a+PageSize, PageSize, ProtRead|ProtWrite); err != nil || len(as.VMAs()) != 1 {
		t.Fatalf("re-protect: %v, %d VMAs", err, len(as.VMAs()))
	}
	if err := as.Protect(a-PageSize, 2*PageSize, ProtRead); err != linuxerr.ENOMEM {
		t.Fatalf("mprotect over a hole: %v", err)
	}
	if err := as.Unmap(a+PageSize, PageSize); err != nil || len(as.VMAs()) != 2 {
		t.Fatalf("munmap hole: %v %d", err, len(as.VMAs()))
	}
	if err := as.CopyIn(a+PageSize, make([]byte, 1)); err != linuxerr.EFAULT {
		t.Fatal("unmapped page still readable")
	}
	if err := as.Unmap(a+1, PageSize); err != linuxerr.EINVAL {
		t.Fatalf("unaligned munmap: %v", err)
	}

	as.SetBrk(0x601234)
	if got := as.Brk(0); got != 0x601234 {
		t.Fatalf("brk(0) = %#x", got)
	}
	if got := as.Brk(0x603000); got != 0x603000 {
		t.Fatalf("brk grow = %#x", got)
	}
	if err := as.CopyOut(0x602ff0, make([]byte, 16)); err != nil {
		t.Fatalf("heap not usable: %v", err)
	}
	if got := as.Brk(0x400000); got != 0x603000 {
		t.Fatalf("brk below start = %#x", got)
	}
	as.Brk(0x601234)
	if err := as.CopyIn(0x602000, make([]byte, 1)); err != linuxerr.EFAULT {
		t.Fatal("shrunk heap still mapped")
	}

	// mremap: grow in place, then move.
	m, _ := as.Map(MapParams{Addr: 0x10000000, Length: PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous | MapFixed})
	as.CopyOut(m, []byte("data"))
	if r, err := as.Remap(m, PageSize, 2*PageSize, 0, 0); err != nil || r != m {
		t.Fatalf("grow in place: %#x %v", r, err)
	}
	as.Map(MapParams{Addr: m + 2*PageSize, Length: PageSize, Prot: ProtRead, Flags: MapPrivate | MapAnonymous | MapFixed})
	if _, err := as.Remap(m, 2*PageSize, 4*PageSize, 0, 0); err != linuxerr.ENOMEM {
		t.Fatalf("grow without MAYMOVE into a mapping: %v", err)
	}
	r, err := as.Remap(m, 2*PageSize, 4*PageSize, MremapMaymove, 0)
	if err != nil || r == m {
		t.Fatalf("move: %#x %v", r, err)
	}
	got := make([]byte, 4)
	if as.CopyIn(r, got); string(got) != "data" {
		t.Fatalf("moved data %q", got)
	}
	if err := as.CopyIn(m, got); err != linuxerr.EFAULT {
		t.Fatal("old range still mapped after the move")
	}
	if _, err := as.Remap(0x20000000, PageSize, PageSize, 0, 0); err != linuxerr.EFAULT {
		t.Fatalf("mremap of nothing: %v", err)
	}
}

func TestCopyInString(t *testing.T) {
	newTestKernel(t)
	as, _ := NewAddressSpace()
	a, _ := as.Map(MapParams{Length: 2 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	as.CopyOut(a+PageSize-3, []byte("/bin/sh\x00"))
	if s, err := as.CopyInString(a+PageSize-3, 4096); err != nil || s != "/bin/sh" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := as.CopyInString(a+PageSize-3, 4); err != linuxerr.ENAMETOOLONG {
		t.Fatalf("no NUL within max: %v", err)
	}
	if _, err := as.CopyInString(0x1000, 10); err != linuxerr.EFAULT {
		t.Fatalf("unmapped: %v", err)
	}
}

// PROT_NONE hides a page without losing it (Linux's PAGE_NONE).
func TestProtNoneKeepsContents(t *testing.T) {
	newTestKernel(t)
	as, _ := NewAddressSpace()
	defer as.DecRef(nil)
	a, _ := as.Map(MapParams{Length: PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	as.CopyOut(a, []byte("kept"))
	if err := as.Protect(a, PageSize, 0); err != nil {
		t.Fatal(err)
	}
	if err := as.CopyIn(a, make([]byte, 4)); err != linuxerr.EFAULT {
		t.Fatalf("read of a PROT_NONE page: %v", err)
	}
	if e, _, ok := as.pt.Lookup(a); !ok || e&PTEUser != 0 {
		t.Fatal("PROT_NONE page is user accessible or gone")
	}
	as.Protect(a, PageSize, ProtRead)
	got := make([]byte, 4)
	if err := as.CopyIn(a, got); err != nil || string(got) != "kept" {
		t.Fatalf("after PROT_READ: %q, %v", got, err)
	}
}

// Special mappings share pinned frames: they are mapped at once, cannot
// be made writable, moved or unmapped, and survive the address space.
func TestMapSpecial(t *testing.T) {
	newTestKernel(t)
	vvar, _ := AllocZeroedFrame()
	code, _ := AllocZeroedFrame()
	PinFrame(vvar)
	PinFrame(code)
	defer func() { nPinned = 0 }()
	_, used0, _ := FrameStats()
	as, _ := NewAddressSpace()
	a, err := as.MapSpecial([]SpecialMapping{{"[vvar]", ProtRead, []uint64{vvar}}, {"[vdso]", ProtRead | ProtExec, []uint64{code}}})
	if err != nil {
		t.Fatal(err)
	}
	if a+2*PageSize != MmapBase {
		t.Fatalf("special mapping at %#x, want just below MmapBase", a)
	}
	vs := as.VMAs()
	if len(vs) != 2 || vs[0].Name != "[vvar]" || vs[1].Name != "[vdso]" || vs[1].Start != a+PageSize || !vs[0].Special {
		t.Fatalf("VMAs %+v", vs)
	}
	if pa, ok := as.pt.Translate(a + PageSize); !ok || pa != code {
		t.Fatal("vDSO page not mapped to its frame")
	}
	if e, _, _ := as.pt.Lookup(a); e&PTEWrite != 0 || e&PTENoExec == 0 || e&PTEUser == 0 {
		t.Fatalf("vvar PTE %#x", e)
	}
	if err := as.Protect(a, PageSize, ProtRead|ProtWrite); err != linuxerr.EACCES {
		t.Fatalf("mprotect(PROT_WRITE) of [vvar]: %v", err)
	}
	if _, err := as.Remap(a+PageSize, PageSize, 2*PageSize, MremapMaymove, 0); err != linuxerr.EINVAL {
		t.Fatalf("mremap of [vdso]: %v", err)
	}
	as.DecRef(nil)
	if _, used, _ := FrameStats(); used != used0 {
		t.Fatalf("frames in use %d after the address space went, want %d", used, used0)
	}
	if isPinned(vvar) != true || table(vvar) == nil {
		t.Fatal("pinned frame lost")
	}
}

// TestForkCopyOnWrite: after Fork, parent and child read the same pages
// without a copy; a write on either side copies just that page; frames
// all come back when both address spaces go.
func TestForkCopyOnWrite(t *testing.T) {
	newTestKernel(t)
	_, used0, _ := FrameStats()
	parent, _ := NewAddressSpace()
	a, _ := parent.Map(MapParams{Length: 64 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	parent.CopyOut(a, bytes.Repeat([]byte("p"), 64*PageSize))
	_, before, _ := FrameStats()
	child, err := parent.Fork()
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := FrameStats()
	// A root, the MMIO tables and the tables for one region: a handful.
	if after-before > 8 {
		t.Fatalf("fork used %d frames for 64 touched pages; want page tables only", after-before)
	}
	pa, _ := parent.pt.Translate(a)
	ca, _ := child.pt.Translate(a)
	if pa != ca || FrameRefs(pa) != 2 {
		t.Fatalf("page not shared after fork: %#x %#x refs %d", pa, ca, FrameRefs(pa))
	}
	if e, _, _ := parent.pt.Lookup(a); e&PTEWrite != 0 {
		t.Fatal("parent's page still writable after fork")
	}
	child.CopyOut(a+5, []byte("child"))
	got := make([]byte, 10)
	parent.CopyIn(a, got)
	if string(got) != "pppppppppp" {
		t.Fatalf("parent sees the child's write: %q", got)
	}
	child.CopyIn(a, got)
	if string(got) != "pppppchild" {
		t.Fatalf("child reads %q", got)
	}
	if child.CowCopies.Load() != 1 || FrameRefs(pa) != 1 {
		t.Fatalf("copies %d, refs of the old page %d", child.CowCopies.Load(), FrameRefs(pa))
	}
	// The parent is now the page's only user: its write needs no copy.
	parent.CopyOut(a, []byte("P"))
	if parent.CowCopies.Load() != 0 {
		t.Fatal("parent copied a page it alone holds")
	}
	if np, _ := parent.pt.Translate(a); np != pa {
		t.Fatal("parent's page moved")
	}
	// mprotect does not make a shared page writable.
	parent.Protect(a, 64*PageSize, ProtRead)
	parent.Protect(a, 64*PageSize, ProtRead|ProtWrite)
	if e, _, _ := parent.pt.Lookup(a + PageSize); e&PTEWrite != 0 {
		t.Fatal("mprotect made a copy-on-write page writable")
	}
	if e, _, _ := parent.pt.Lookup(a); e&PTEWrite == 0 {
		t.Fatal("mprotect left a page the parent alone holds read-only")
	}
	child.DecRef(nil)
	parent.DecRef(nil)
	if _, used, _ := FrameStats(); used != used0 {
		t.Fatalf("frames in use %d after both exited, want %d", used, used0)
	}
}

// TestSharedMappings: MAP_SHARED|MAP_ANONYMOUS is shared across fork, and
// a shared file mapping maps the file's own pages (writes reach the file,
// private mappings copy on write and leave it alone).
func TestSharedMappings(t *testing.T) {
	newTestKernel(t)
	_, used0, _ := FrameStats()
	parent, _ := NewAddressSpace()
	s, _ := parent.Map(MapParams{Length: 2 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapShared | MapAnonymous})
	child, _ := parent.Fork()
	child.CopyOut(s+PageSize, []byte("shared"))
	got := make([]byte, 6)
	parent.CopyIn(s+PageSize, got)
	if string(got) != "shared" {
		t.Fatalf("parent reads %q from the shared region", got)
	}
	if v := parent.VMAs(); len(v) != 1 || v[0].Name != "/dev/zero (deleted)" {
		t.Fatalf("shared anonymous VMA %+v", v)
	}

	file := newTestFile(bytes.Repeat([]byte("f"), 3*PageSize))
	m, _ := parent.Map(MapParams{Length: 3 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapShared, Obj: file})
	p, _ := parent.Map(MapParams{Length: 3 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate, Obj: file})
	parent.CopyOut(m+10, []byte("SHARED"))
	buf := make([]byte, 16)
	file.pages.ReadAt(buf, 10)
	if string(buf[:6]) != "SHARED" {
		t.Fatalf("file reads %q after a write through the shared mapping", buf)
	}
	parent.CopyIn(p+10, buf[:6])
	if string(buf[:6]) != "SHARED" {
		t.Fatalf("private mapping does not see the file's page before its own write: %q", buf[:6])
	}
	parent.CopyOut(p+PageSize, []byte("private"))
	file.pages.ReadAt(buf, PageSize)
	if string(buf[:7]) != "fffffff" {
		t.Fatalf("a private write reached the file: %q", buf[:7])
	}
	if file.maps != 2 {
		t.Fatalf("file has %d mappings, want 2", file.maps)
	}
	// Splitting a mapping takes a reference per piece.
	parent.Unmap(m+PageSize, PageSize)
	if file.maps != 3 {
		t.Fatalf("after splitting: %d mappings, want 3", file.maps)
	}
	child.DecRef(nil)
	parent.DecRef(nil)
	if file.maps != 0 {
		t.Fatalf("%d mappings left", file.maps)
	}
	file.DecMapRef() // the name goes: the pages go
	if _, used, _ := FrameStats(); used != used0 {
		t.Fatalf("frames in use %d, want %d", used, used0)
	}
}

// TestUnmapObject: truncating a mapped object takes its pages past the
// new end out of every mapping, private copies included (SIGBUS on the
// next touch); punching a hole takes them out of shared mappings only.
func TestUnmapObject(t *testing.T) {
	newTestKernel(t)
	as, _ := NewAddressSpace()
	file := newTestFile(bytes.Repeat([]byte("f"), 3*PageSize))
	sh, _ := as.Map(MapParams{Length: 3 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapShared, Obj: file})
	pr, _ := as.Map(MapParams{Length: 3 * PageSize, Prot: ProtRead | ProtWrite, Flags: MapPrivate, Obj: file})
	as.CopyOut(pr+2*PageSize, []byte("cow")) // a private copy of page 2
	b := make([]byte, 1)
	as.CopyIn(sh+2*PageSize, b)
	// Punch page 1: the shared mapping reads the hole, the private one
	// keeps the page it had.
	as.CopyIn(pr+PageSize, b)
	file.pages.Punch(PageSize, PageSize)
	UnmapObject(file, PageSize, 2*PageSize, false)
	if e, _, ok := as.pt.Lookup(sh + PageSize); ok {
		t.Fatalf("shared page of the hole still mapped: %#x", uint64(e))
	}
	if _, _, ok := as.pt.Lookup(pr + PageSize); !ok {
		t.Fatal("a punch took a private mapping's page")
	}
	// Truncate to one page: everything from page 1 on goes, the private
	// copy of page 2 too, and the object's end makes a touch fail.
	file.size = PageSize
	file.pages.Truncate(PageSize)
	UnmapObject(file, PageSize, 0, true)
	for _, va := range []uintptr{sh + 2*PageSize, pr + PageSize, pr + 2*PageSize} {
		if _, _, ok := as.pt.Lookup(va); ok {
			t.Errorf("page at %#x still mapped after truncation", va)
		}
	}
	if err := as.CopyIn(pr+2*PageSize, b); err == nil {
		t.Error("a page past the end of the object is readable")
	}
	if err := as.CopyIn(sh, b); err != nil || b[0] != 'f' {
		t.Errorf("the first page: %v %q", err, b)
	}
	as.DecRef(nil)
}
