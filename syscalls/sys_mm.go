package syscalls

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel"
	"oyako/kernel/klog"
	"oyako/kernel/mm"
)

// mmap(2) flags beyond those mm handles.
const (
	mapSharedValidate = 0x03
	mapTypeMask       = 0x0f
	mapPopulate       = 0x8000
	mapNoreserve      = 0x4000
	mapDenywrite      = 0x0800
	mapExecutable     = 0x1000
	mapLocked         = 0x2000
	mapNonblock       = 0x10000
	mapHugetlb        = 0x40000
	mapSync           = 0x80000
	mapUninitialized  = 0x4000000
	// mapKnown are the flags MAP_SHARED_VALIDATE accepts.
	mapKnown = mm.MapShared | mm.MapPrivate | mm.MapFixed | mm.MapAnonymous | mm.MapGrowsDown | mapDenywrite | mapExecutable |
		mapLocked | mapNoreserve | mapPopulate | mapNonblock | mm.MapStack | mm.MapFixedNoreplace
)

// fileBacking reads a mapped file.
type fileBacking struct{ f fs.Regular }

func (b fileBacking) ReadAt(p []byte, off int64) (int, error) {
	n, err := b.f.ReadAt(p, off)
	clear(p[n:])
	return len(p), err
}

// sysMmap implements mmap(2): anonymous memory, and private (and
// read-only shared) mappings of regular files.
func sysMmap(t *kernel.Task, a *Args) (uintptr, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], uint32(a[2]), uint32(a[3]), a[4], int64(a[5])
	typ := flags & mapTypeMask
	if typ == mapSharedValidate {
		if flags&^mapKnown&^mapSharedValidate != 0 {
			return 0, linuxerr.EOPNOTSUPP
		}
		flags = flags&^mapTypeMask | mm.MapShared
	} else if typ != mm.MapShared && typ != mm.MapPrivate {
		return 0, linuxerr.EINVAL
	}
	if length == 0 || off&(mm.PageSize-1) != 0 {
		return 0, linuxerr.EINVAL
	}
	p := mm.MapParams{Addr: addr, Length: length, Prot: prot, Flags: flags, Off: off}
	if flags&mm.MapAnonymous == 0 {
		f, err := getFile(t, fd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		reg, ok := f.Inode.(fs.Regular)
		if !ok || f.Ops() != nil {
			return 0, linuxerr.ENODEV
		}
		if !f.Readable() {
			return 0, linuxerr.EACCES
		}
		if flags&mm.MapShared != 0 && prot&mm.ProtWrite != 0 {
			// Writes through a shared file mapping would have to reach the
			// file; oyako does not write mappings back yet.
			klog.Log("oyako: mmap: writable MAP_SHARED file mappings are not supported (ENODEV)")
			return 0, linuxerr.ENODEV
		}
		p.Backing = fileBacking{reg}
		p.Name = f.Path
	} else {
		p.Off = 0
	}
	as := t.Proc.AS()
	r, err := as.Map(p)
	if err != nil {
		return 0, err
	}
	if flags&mapPopulate != 0 {
		as.Populate(r, length)
	}
	return r, nil
}

// sysMunmap implements munmap(2).
func sysMunmap(t *kernel.Task, a *Args) (uintptr, error) {
	return 0, t.Proc.AS().Unmap(a[0], a[1])
}

// sysMprotect implements mprotect(2).
func sysMprotect(t *kernel.Task, a *Args) (uintptr, error) {
	prot := uint32(a[2])
	const protGrowsdown, protGrowsup = 0x01000000, 0x02000000
	if prot&(protGrowsdown|protGrowsup) != 0 {
		prot &^= protGrowsdown | protGrowsup // applies to the whole mapping here
	}
	return 0, t.Proc.AS().Protect(a[0], a[1], prot)
}

// sysMremap implements mremap(2).
func sysMremap(t *kernel.Task, a *Args) (uintptr, error) {
	const mremapDontunmap = 4
	if uint32(a[3])&mremapDontunmap != 0 {
		return 0, linuxerr.EINVAL
	}
	return t.Proc.AS().Remap(a[0], a[1], a[2], uint32(a[3]), a[4])
}

// madvise(2) advice.
const (
	madvNormal      = 0
	madvRandom      = 1
	madvSequential  = 2
	madvWillneed    = 3
	madvDontneed    = 4
	madvFree        = 8
	madvRemove      = 9
	madvDontfork    = 10
	madvDofork      = 11
	madvMergeable   = 12
	madvUnmergeable = 13
	madvHugepage    = 14
	madvNohugepage  = 15
	madvDontdump    = 16
	madvDodump      = 17
	madvWipeonfork  = 18
	madvKeeponfork  = 19
	madvCold        = 20
	madvPageout     = 21
	madvCollapse    = 25
)

// sysMadvise implements madvise(2): MADV_DONTNEED and MADV_FREE free the
// pages; the hints are accepted.
func sysMadvise(t *kernel.Task, a *Args) (uintptr, error) {
	addr, length := a[0], a[1]
	if addr&(mm.PageSize-1) != 0 {
		return 0, linuxerr.EINVAL
	}
	switch int32(a[2]) {
	case madvDontneed, madvFree:
		return 0, t.Proc.AS().Discard(addr, length)
	case madvNormal, madvRandom, madvSequential, madvWillneed, madvDontfork, madvDofork, madvMergeable, madvUnmergeable,
		madvHugepage, madvNohugepage, madvDontdump, madvDodump, madvWipeonfork, madvKeeponfork, madvCold, madvPageout, madvCollapse:
		return 0, nil
	}
	return 0, linuxerr.EINVAL
}

// sysBrk implements brk(2).
func sysBrk(t *kernel.Task, a *Args) (uintptr, error) {
	return t.Proc.AS().Brk(a[0]), nil
}
