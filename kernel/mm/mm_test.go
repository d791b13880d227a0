package mm

import (
	"testing"
)

// fakeRAM points physical addresses [ramBase, ramBase+size) at host memory
// and gives them to the frame allocator.
const ramBase = hostRAMBase

func fakeRAM(t *testing.T, size int) {
	t.Helper()
	UseHostMemory(size)
}

func TestFramesReserveAndReuse(t *testing.T) {
	fakeRAM(t, 1<<20)
	frames = frameAllocator{}
	n := InitFrames([]Range{{0, 0x1000}, {ramBase, ramBase + 0x10000}},
		[]Range{{ramBase + 0x2000, ramBase + 0x3001}, {ramBase + 0x8000, ramBase + 0x20000}})
	// 0x0-0x1000 is dropped (frame 0), 16 frames minus 2 reserved (0x2000,
	// 0x3000), minus 8 (0x8000-0xffff).
	if n != 6 {
		t.Fatalf("managed %d frames, want 6", n)
	}
	seen := map[uint64]bool{}
	var got []uint64
	for {
		pa, err := AllocFrame()
		if err != OK {
			break
		}
		if seen[pa] || pa%PageSize != 0 {
			t.Fatalf("bad or duplicate frame %#x", pa)
		}
		if pa >= ramBase+0x2000 && pa < ramBase+0x4000 || pa >= ramBase+0x8000 {
			t.Fatalf("handed out reserved frame %#x", pa)
		}
		seen[pa] = true
		got = append(got, pa)
	}
	if len(got) != 6 {
		t.Fatalf("allocated %d frames, want 6", len(got))
	}
	if _, used, peak := FrameStats(); used != 6 || peak != 6 {
		t.Fatalf("used %d peak %d", used, peak)
	}
	FreeFrame(got[3])
	FreeFrame(got[1])
	if pa, _ := AllocFrame(); pa != got[1] {
		t.Fatalf("free list is not LIFO: got %#x want %#x", pa, got[1])
	}
	if _, used, peak := FrameStats(); used != 5 || peak != 6 {
		t.Fatalf("after reuse used %d peak %d", used, peak)
	}
}

func TestFramesEarlyLimit(t *testing.T) {
	fakeRAM(t, 1<<20)
	physLimit = ramBase + 2*PageSize
	if _, err := AllocFrame(); err != OK {
		t.Fatal(err)
	}
	if _, err := AllocFrame(); err != OK {
		t.Fatal(err)
	}
	if pa, err := AllocFrame(); err != ErrNoMemory {
		t.Fatalf("allocated %#x beyond the reachable limit", pa)
	}
}

func TestPageTableMapLookupUnmap(t *testing.T) {
	fakeRAM(t, 8<<20)
	pt, err := NewPageTable()
	if err != OK {
		t.Fatal(err)
	}
	user := uintptr(0x400000)
	kern := uintptr(0xffffc90000001000)
	if err := pt.Map(user, 0x123000, PTEWrite|PTEUser); err != OK {
		t.Fatal(err)
	}
	if err := pt.Map(kern, 0x456000, PTEGlobal|PTENoExec); err != OK {
		t.Fatal(err)
	}
	if err := pt.Map(kern, 0x789000, 0); err != ErrExists {
		t.Fatalf("double map: %v", err)
	}
	if pa, ok := pt.Translate(user + 0x10); !ok || pa != 0x123010 {
		t.Fatalf("translate user: %#x %v", pa, ok)
	}
	e, size, ok := pt.Lookup(kern)
	if !ok || size != PageSize || e&PTENoExec == 0 || e&PTEUser != 0 {
		t.Fatalf("kernel leaf %#x size %d", uint64(e), size)
	}
	// Intermediate entries for a user address carry the user bit; for a
	// kernel address they must not.
	pml4 := table(pt.Root)
	if pml4[index(user, levelPML4)]&PTEUser == 0 || pml4[index(kern, levelPML4)]&PTEUser != 0 {
		t.Fatal("intermediate user bit wrong")
	}
	if err := pt.MapLarge(0xffff888000000000, 0, GigaSize, PTEWrite); err != OK {
		t.Fatal(err)
	}
	if err := pt.MapLarge(0xffff888040000000+HugeSize, HugeSize, HugeSize, PTEWrite); err != OK {
		t.Fatal(err)
	}
	if pa, ok := pt.Translate(0xffff888000000000 + 0x12345678); !ok || pa != 0x12345678 {
		t.Fatalf("1 GiB translate %#x", pa)
	}
	if _, size, _ := pt.Lookup(0xffff888040000000 + HugeSize + 5); size != HugeSize {
		t.Fatalf("2 MiB leaf size %d", size)
	}
	if err := pt.MapLarge(0xffff888000000000+HugeSize, 0, HugeSize, 0); err != ErrExists {
		t.Fatalf("map under a 1 GiB leaf: %v", err)
	}
	if pa, ok := pt.Unmap(user); !ok || pa != 0x123000 {
		t.Fatalf("unmap %#x %v", pa, ok)
	}
	if _, ok := pt.Translate(user); ok {
		t.Fatal("still mapped")
	}
}

func TestUnmapRangeSkipsHoles(t *testing.T) {
	fakeRAM(t, 8<<20)
	pt, _ := NewPageTable()
	base := uintptr(0xffffc90000000000)
	want := map[uintptr]uint64{}
	for i, off := range []uintptr{0, 0x1000, 0x5000, 0x200000, 0x40000000, 0x7ffff000} {
		va := base + off
		want[va] = uint64(0x1000 * (i + 1))
		if err := pt.Map(va, want[va], 0); err != OK {
			t.Fatal(err)
		}
	}
	got := map[uintptr]uint64{}
	n := pt.UnmapRange(base, base+0x80000000, func(va uintptr, pa uint64) { got[va] = pa })
	if n != len(want) {
		t.Fatalf("unmapped %d, want %d", n, len(want))
	}
	for va, pa := range want {
		if got[va] != pa {
			t.Fatalf("va %#x: released %#x want %#x", va, got[va], pa)
		}
	}
}

func newSpace(t *testing.T) *KernelSpace {
	fakeRAM(t, 16<<20)
	pt, _ := NewPageTable()
	s := &KernelSpace{}
	s.Init(pt, RuntimeBase, RuntimeBase+RuntimeSize)
	return s
}

func TestKernelSpaceRuntimePattern(t *testing.T) {
	s := newSpace(t)
	// Lower-half hints (the Go runtime's arena hints) are refused.
	a, err := s.Mmap(0xc000000000, 64<<20, 0, false, false)
	if err != OK || a != RuntimeBase {
		t.Fatalf("reserve: %#x %v", a, err)
	}
	// A hint inside the region that is free is honoured.
	b, err := s.Mmap(RuntimeBase+1<<30, 1<<20, ProtRead|ProtWrite, false, false)
	if err != OK || b != RuntimeBase+1<<30 {
		t.Fatalf("hinted map: %#x %v", b, err)
	}
	// Commit part of the reservation with MAP_FIXED, as sysMap does.
	if _, err := s.Mmap(a+4<<20, 4<<20, ProtRead|ProtWrite, true, false); err != OK {
		t.Fatal(err)
	}
	if s.VMACount() != 4 {
		t.Fatalf("%d VMAs, want 4 (none, rw, none, rw)", s.VMACount())
	}
	// Touching reserved (PROT_NONE) memory is refused, committed memory is
	// demand-zeroed, and a second touch is a stale-TLB no-op.
	if s.Fault(a, false, false) {
		t.Fatal("fault in PROT_NONE accepted")
	}
	_, used0, _ := FrameStats()
	if !s.Fault(a+4<<20+123, true, false) || !s.Fault(a+4<<20+123, true, false) {
		t.Fatal("demand-zero fault refused")
	}
	if s.Fault(a+4<<20, false, true) {
		t.Fatal("exec fault in non-exec mapping accepted")
	}
	e, _, ok := s.pt.Lookup(a + 4<<20)
	if !ok || e&PTENoExec == 0 || e&PTEWrite == 0 || e&PTEGlobal == 0 {
		t.Fatalf("leaf %#x", uint64(e))
	}
	_, used1, _ := FrameStats()
	if used1 <= used0 {
		t.Fatal("no frame used by the fault")
	}
	// MADV_DONTNEED gives the frame back and keeps the mapping.
	if err := s.Discard(a+4<<20, 4<<20); err != OK {
		t.Fatal(err)
	}
	if _, used2, _ := FrameStats(); used2 != used1-1 {
		t.Fatalf("discard freed %d frames", used1-used2)
	}
	if !s.Fault(a+4<<20, false, false) {
		t.Fatal("mapping lost after discard")
	}
	// The kernel image's lazy tail is read-write, not executable, and
	// filled on first touch; the page after it is not.
	const img = KernelBase + 64<<20
	s.SetLazyImage(img, img+2*PageSize)
	if !s.Fault(img+PageSize+8, true, false) || s.Fault(img+PageSize, false, true) || s.Fault(img+2*PageSize, false, false) {
		t.Fatal("lazy image tail: wrong faults accepted or refused")
	}
	if e, _, ok := s.pt.Lookup(img + PageSize); !ok || e&PTEWrite == 0 || e&PTENoExec == 0 {
		t.Fatalf("lazy image leaf %#x", uint64(e))
	}
	s.SetLazyImage(0, 0)
	// The runtime trims reservations with munmap; a freed range is reused.
	if err := s.Munmap(a, 4<<20); err != OK {
		t.Fatal(err)
	}
	c, err := s.Mmap(0, 2<<20, 0, false, false)
	if err != OK || c != a {
		t.Fatalf("lowest free range: %#x, want %#x", c, a)
	}
	if _, err := s.Mmap(a+4<<20, PageSize, ProtRead, true, true); err != ErrExists {
		t.Fatalf("MAP_FIXED_NOREPLACE over a mapping: %v", err)
	}
	if _, err := s.Mmap(0x1000, PageSize, ProtRead, true, false); err != ErrRange {
		t.Fatalf("MAP_FIXED outside the region: %v", err)
	}
}

func TestKernelSpaceMergeAndSplit(t *testing.T) {
	s := newSpace(t)
	base := uintptr(RuntimeBase)
	for i := 0; i < 4; i++ {
		if _, err := s.Mmap(base+uintptr(i)*PageSize, PageSize, ProtRead|ProtWrite, true, false); err != OK {
			t.Fatal(err)
		}
	}
	if s.VMACount() != 1 {
		t.Fatalf("adjacent equal mappings did not merge: %d", s.VMACount())
	}
	if err := s.Protect(base+PageSize, PageSize, ProtRead); err != OK {
		t.Fatal(err)
	}
	if s.VMACount() != 3 {
		t.Fatalf("protect did not split: %d", s.VMACount())
	}
	if s.Fault(base+PageSize, true, false) {
		t.Fatal("write to read-only page accepted")
	}
	if err := s.Protect(base+PageSize, PageSize, ProtRead|ProtWrite); err != OK || s.VMACount() != 1 {
		t.Fatalf("re-protect did not merge back: %v %d", err, s.VMACount())
	}
	if err := s.Protect(base+8*PageSize, PageSize, ProtRead); err != ErrNotFound {
		t.Fatalf("protect of unmapped range: %v", err)
	}
	if err := s.Munmap(base+PageSize, PageSize); err != OK || s.VMACount() != 2 {
		t.Fatalf("munmap hole: %v %d", err, s.VMACount())
	}
}
