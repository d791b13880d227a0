package syscalls

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// Mounts and file system information (fs/namespace.c, fs/statfs.c). The
// mount tree is fs.Root's (fs/mount.go).

// sysMount implements mount(2): the type, source and data strings are
// copied first (copy_mount_string, copy_mount_options: at most a page of
// data), then the target is looked up, following links.
func sysMount(t *task.Task, a *Args) (uintptr, error) {
	var ma fs.MountArgs
	var err error
	if a[0] != 0 {
		if ma.Source, err = mountString(t, a[0]); err != nil {
			return 0, err
		}
	}
	if a[2] != 0 {
		if ma.Type, err = mountString(t, a[2]); err != nil {
			return 0, err
		}
	}
	if a[4] != 0 {
		ma.Data, err = t.CopyInString(a[4], fs.PageSize)
		if linuxerr.Equals(linuxerr.ENAMETOOLONG, err) {
			// The kernel reads one page and ends it with a NUL.
			b := make([]byte, fs.PageSize-1)
			err = t.CopyIn(a[4], b)
			ma.Data = string(b)
		}
		if err != nil {
			return 0, err
		}
	}
	ma.Flags = uint32(a[3])
	start, path, err := pathAt(t, atFdcwdArg, a[1])
	if err != nil {
		return 0, err
	}
	return 0, task.Root.Mount(t, start, path, ma)
}

// mountString copies one of mount(2)'s strings (strndup_user with
// PATH_MAX): EINVAL if it does not end within a page.
func mountString(t *task.Task, addr uintptr) (string, error) {
	s, err := t.CopyInString(addr, fs.PathMax)
	if linuxerr.Equals(linuxerr.ENAMETOOLONG, err) {
		return "", linuxerr.EINVAL
	}
	return s, err
}

// sysUmount2 implements umount2(2): MNT_FORCE, MNT_DETACH, MNT_EXPIRE and
// UMOUNT_NOFOLLOW.
func sysUmount2(t *task.Task, a *Args) (uintptr, error) {
	flags := uint32(a[1])
	if flags&^(fs.MNT_FORCE|fs.MNT_DETACH|fs.MNT_EXPIRE|fs.UMOUNT_NOFOLLOW) != 0 {
		return 0, linuxerr.EINVAL
	}
	start, path, err := pathAt(t, atFdcwdArg, a[0])
	if err != nil {
		return 0, err
	}
	lf := fs.LookupFollow
	if flags&fs.UMOUNT_NOFOLLOW != 0 {
		lf = 0
	}
	p, err := task.Root.Lookup(t, start, path, lf)
	if err != nil {
		return 0, err
	}
	return 0, task.Root.Umount(p, flags)
}

// statfsBytes encodes struct statfs (include/uapi/asm-generic/statfs.h
// on x86-64: 120 bytes).
func statfsBytes(s fs.Statfs) []byte {
	b := make([]byte, 120)
	putU64(b, 0, uint64(s.Type))
	putU64(b, 8, uint64(s.Bsize))
	putU64(b, 16, s.Blocks)
	putU64(b, 24, s.Bfree)
	putU64(b, 32, s.Bavail)
	putU64(b, 40, s.Files)
	putU64(b, 48, s.Ffree)
	putU32(b, 56, uint32(s.Fsid[0]))
	putU32(b, 60, uint32(s.Fsid[1]))
	putU64(b, 64, uint64(s.Namelen))
	putU64(b, 72, uint64(s.Frsize))
	putU64(b, 80, uint64(s.FlagsValue))
	return b
}

// sysStatfs implements statfs(2).
func sysStatfs(t *task.Task, a *Args) (uintptr, error) {
	p, err := lookupAt(t, atFdcwdArg, a[0], 0)
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(a[1], statfsBytes(fs.StatfsOf(p)))
}

// sysFstatfs implements fstatfs(2); O_PATH descriptors are fine.
func sysFstatfs(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, t.CopyOut(a[1], statfsBytes(fs.StatfsOf(f.Location())))
}
