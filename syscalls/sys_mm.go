package syscalls

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/kernel/task"
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

// objectMapper is implemented by FileOps whose mmap maps kernel memory
// chosen by the offset (io_uring's rings): it returns the object to map
// from its start.
type objectMapper interface {
	MapObject(off int64, length uint64) (mm.Object, error)
}

// mapFile fills in p for a mapping of the open file f (do_mmap's file
// checks): a regular file's pages are the mapping's object; /dev/zero
// maps anonymous memory; io_uring files map their rings. Access is
// checked against f's open mode.
func mapFile(f *fs.File, p *mm.MapParams) error {
	if f.Flags()&fs.O_PATH != 0 {
		return linuxerr.EBADF
	}
	shared := p.Flags&mm.MapShared != 0
	if !f.Readable() {
		return linuxerr.EACCES
	}
	if shared && p.Prot&mm.ProtWrite != 0 && (!f.Writable() || f.Flags()&fs.O_APPEND != 0) {
		return linuxerr.EACCES
	}
	if m, ok := f.Ops().(objectMapper); ok {
		obj, err := m.MapObject(p.Off, uint64(p.Length))
		if err != nil {
			return err
		}
		p.Obj, p.Off, p.Name = obj, 0, f.Path
		p.NoWrite = shared && !f.Writable()
		return nil
	}
	if fs.IsZeroDevice(f) {
		// mmap of /dev/zero: private is anonymous memory, shared a new
		// shmem region (mmap_zero).
		p.Flags |= mm.MapAnonymous
		p.Off = 0
		return nil
	}
	obj, ok := f.Inode.(mm.Object)
	if !ok || f.Ops() != nil {
		return linuxerr.ENODEV
	}
	p.Obj = obj
	p.Name = f.Path
	p.NoWrite = shared && !f.Writable()
	return nil
}

// sysMmap implements mmap(2): anonymous memory, private and shared, and
// mappings of regular files, private (copy-on-write) and shared (the
// file's own pages).
func sysMmap(t *task.Task, a *Args) (uintptr, error) {
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
		if err := mapFile(f, &p); err != nil {
			return 0, err
		}
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
func sysMunmap(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.Proc.AS().Unmap(a[0], a[1])
}

// sysMprotect implements mprotect(2).
func sysMprotect(t *task.Task, a *Args) (uintptr, error) {
	prot := uint32(a[2])
	const protGrowsdown, protGrowsup = 0x01000000, 0x02000000
	if prot&(protGrowsdown|protGrowsup) != 0 {
		prot &^= protGrowsdown | protGrowsup // applies to the whole mapping here
	}
	return 0, t.Proc.AS().Protect(a[0], a[1], prot)
}

// sysMremap implements mremap(2).
func sysMremap(t *task.Task, a *Args) (uintptr, error) {
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

// sysMadvise implements madvise(2) as do_madvise checks it: EINVAL for
// unknown advice, an unaligned address or a range that wraps; nothing
// for an empty range; ENOMEM when the range is not all mapped.
// MADV_DONTNEED and MADV_FREE free the pages; the hints are accepted.
func sysMadvise(t *task.Task, a *Args) (uintptr, error) {
	return 0, madvise(t, a[0], a[1], int32(a[2]))
}

func madvise(t *task.Task, addr, length uintptr, advice int32) error {
	switch advice {
	case madvDontneed, madvFree, madvNormal, madvRandom, madvSequential, madvWillneed, madvDontfork, madvDofork,
		madvMergeable, madvUnmergeable, madvHugepage, madvNohugepage, madvDontdump, madvDodump, madvWipeonfork,
		madvKeeponfork, madvCold, madvPageout, madvCollapse:
	default:
		return linuxerr.EINVAL
	}
	if addr&(mm.PageSize-1) != 0 {
		return linuxerr.EINVAL
	}
	n := uintptr(mm.PageAlignUp(uint64(length)))
	if length != 0 && n == 0 || addr+n < addr {
		return linuxerr.EINVAL
	}
	if n == 0 {
		return nil
	}
	if advice == madvDontneed || advice == madvFree {
		return t.Proc.AS().Discard(addr, length)
	}
	if !t.Proc.AS().Covered(addr, length) {
		return linuxerr.ENOMEM
	}
	return nil
}

// msync(2) flags (include/uapi/asm-generic/mman-common.h).
const (
	msAsync      = 1
	msInvalidate = 2
	msSync       = 4
)

// sysMsync implements msync(2) as mm/msync.c checks it: EINVAL for
// unknown flags, an unaligned address or MS_SYNC with MS_ASYNC; ENOMEM
// if the range (rounded up to pages) wraps or is not all mapped. Shared
// file mappings use the file's own page frames, and files live in memory
// only, so there is nothing to write back and no other copy to
// invalidate: a valid call succeeds. (MS_INVALIDATE's EBUSY for locked
// pages cannot happen: there is no mlock.)
func sysMsync(t *task.Task, a *Args) (uintptr, error) {
	addr, length, flags := a[0], a[1], int32(a[2])
	if flags&^(msAsync|msInvalidate|msSync) != 0 || addr&(mm.PageSize-1) != 0 ||
		flags&msAsync != 0 && flags&msSync != 0 {
		return 0, linuxerr.EINVAL
	}
	end := addr + uintptr(mm.PageAlignUp(uint64(length)))
	if end < addr {
		return 0, linuxerr.ENOMEM
	}
	if end == addr {
		return 0, nil
	}
	if !t.Proc.AS().Covered(addr, end-addr) {
		return 0, linuxerr.ENOMEM
	}
	return 0, nil
}

// sysBrk implements brk(2).
func sysBrk(t *task.Task, a *Args) (uintptr, error) {
	return t.Proc.AS().Brk(a[0]), nil
}
