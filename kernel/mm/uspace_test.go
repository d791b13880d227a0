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

type bytesBacking []byte

func (b bytesBacking) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, nil
	}
	return copy(p, b[off:]), nil
}

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
	data := bytesBacking(bytes.Repeat([]byte("F"), PageSize+10))
	f, err := as.Map(MapParams{Addr: 0x400000, Length: 2 * PageSize, Prot: ProtRead | ProtExec, Flags: MapPrivate | MapFixed, Backing: data, Name: "/bin/x"})
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
