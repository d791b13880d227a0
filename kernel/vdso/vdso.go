// Package vdso puts oyako's vDSO in place: the ELF shared object built
// from kernel/vdso/c (clock_gettime, gettimeofday, time, getcpu,
// clock_getres under version LINUX_2.6) and the vvar page of time data it
// reads (ktime.VVar). At boot Setup copies the image into frames shared
// by every process and maps it, behind its vvar page, for the kernel's own
// Go runtime at mm.VDSOBase; MapInto maps the same frames into a process
// as [vvar] and [vdso], and the ELF's address goes into AT_SYSINFO_EHDR.
//
// The image travels in the kernel image's vDSO slot (boot/linkinfo),
// filled by the post-link step; it is built, never committed.
//
// The layout is Linux's (6.13 and later): [vvar], four pages of which the
// first holds the time data, [vvar_vclock], two pages (Linux's paravirtual
// clocks; zero here), then [vdso]. Mappings made after the vDSO (ld.so's
// libraries) then fall where they fall on Linux.
//
// Limits: one page of data (no per-CPU data, no time namespaces); the
// vvar is not writable and the vDSO cannot be moved or unmapped by the
// program (mremap and munmap of it answer EINVAL, mprotect to writable
// EACCES), where Linux allows both.
package vdso

import (
	"unsafe"

	"oyako/amd64"
	"oyako/boot/linkinfo"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
)

// image is the vDSO slot postlink fills (linkinfo.VDSOSymbol).
var image = linkinfo.VDSOSlot{Magic: linkinfo.VDSOMagic}

// maxPages bounds the image's pages (the slot's size).
const maxPages = linkinfo.VDSOMax / mm.PageSize

// vvarPages is how far below the vDSO image its vvar page lies, in pages
// (vdso.lds): [vvar]'s four and [vvar_vclock]'s two.
const (
	vvarPages  = 6
	vvarOffset = vvarPages * mm.PageSize
)

var (
	vvarFrame  uint64
	zeroFrame  uint64 // the pages of [vvar] and [vvar_vclock] after the data
	codeFrames [maxPages]uint64
	nCode      int
	ready      bool
)

// Err says why Setup failed.
type Err string

// Setup copies the vDSO into frames, publishes the vvar page and maps
// both for the kernel. It runs in EarlyInit, before the Go runtime (no
// allocation), and returns "" or what went wrong.
//
//go:nosplit
func Setup(kernelPT mm.PageTable) Err {
	if image.Magic != linkinfo.VDSOPatched || image.Len == 0 || image.Len > linkinfo.VDSOMax {
		return "no vDSO in the kernel image (boot/postlink fills it)"
	}
	var err mm.Err
	if vvarFrame, err = mm.AllocZeroedFrame(); err != mm.OK {
		return "no memory for the vvar page"
	}
	mm.PinFrame(vvarFrame)
	if zeroFrame, err = mm.AllocZeroedFrame(); err != mm.OK {
		return "no memory for the vvar page"
	}
	mm.PinFrame(zeroFrame)
	nCode = int((image.Len + mm.PageSize - 1) / mm.PageSize)
	for i := 0; i < nCode; i++ {
		pa, err := mm.AllocZeroedFrame()
		if err != mm.OK {
			return "no memory for the vDSO"
		}
		codeFrames[i] = pa
		mm.PinFrame(pa)
		n := min(int(image.Len)-i*mm.PageSize, mm.PageSize)
		dst := unsafe.Slice((*byte)(amd64.Ptr(mm.PhysToVirt(pa))), n)
		copy(dst, image.Data[i*mm.PageSize:i*mm.PageSize+n])
	}
	// The kernel's mapping: vvar read-only, the image read-execute.
	if kernelPT.Map(mm.VDSOBase, vvarFrame, mm.PTENoExec|mm.PTEGlobal) != mm.OK {
		return "cannot map the vvar page"
	}
	for i := 0; i < nCode; i++ {
		if kernelPT.Map(mm.VDSOBase+vvarOffset+uintptr(i)*mm.PageSize, codeFrames[i], mm.PTEGlobal) != mm.OK {
			return "cannot map the vDSO"
		}
	}
	ktime.Publish((*ktime.VVar)(amd64.Ptr(mm.PhysToVirt(vvarFrame))), amd64.CPU.Has(amd64.FeatureRDTSCP))
	ready = true
	return ""
}

// KernelEHDR returns the address of the kernel's mapping of the vDSO ELF
// (its AT_SYSINFO_EHDR), or 0 if Setup did not run.
//
//go:nosplit
func KernelEHDR() uint64 {
	if !ready {
		return 0
	}
	return mm.VDSOBase + vvarOffset
}

// MapInto maps [vvar] and [vdso] into a process and returns the vDSO
// ELF's address for AT_SYSINFO_EHDR (0 and no error if there is no vDSO).
func MapInto(as *mm.AddressSpace) (uint64, error) {
	if !ready {
		return 0, nil
	}
	base, err := as.MapSpecial([]mm.SpecialMapping{
		{Name: "[vvar]", Prot: mm.ProtRead, Frames: []uint64{vvarFrame, zeroFrame, zeroFrame, zeroFrame}},
		{Name: "[vvar_vclock]", Prot: mm.ProtRead, Frames: []uint64{zeroFrame, zeroFrame}},
		{Name: "[vdso]", Prot: mm.ProtRead | mm.ProtExec, Frames: codeFrames[:nCode]},
	})
	if err != nil {
		return 0, err
	}
	return uint64(base) + vvarOffset, nil
}
