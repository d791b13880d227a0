package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// The extended attribute calls (fs/xattr.c): each family member is its
// *at form with the path, the descriptor or AT_SYMLINK_NOFOLLOW filled
// in, as Linux 6.13 and later implement them. These read the arguments
// in Linux's order; the file system does the rest (fs/xattr.go).

// sysSetxattr implements setxattr(2).
func sysSetxattr(t *task.Task, a *Args) (uintptr, error) {
	return setxattrAt(t, atFdcwdArg, a[0], 0, a[1], a[2], uint64(a[3]), uint32(a[4]))
}

// sysLsetxattr implements lsetxattr(2).
func sysLsetxattr(t *task.Task, a *Args) (uintptr, error) {
	return setxattrAt(t, atFdcwdArg, a[0], atSymlinkNofollow, a[1], a[2], uint64(a[3]), uint32(a[4]))
}

// sysFsetxattr implements fsetxattr(2).
func sysFsetxattr(t *task.Task, a *Args) (uintptr, error) {
	return setxattrAt(t, a[0], 0, atEmptyPath, a[1], a[2], uint64(a[3]), uint32(a[4]))
}

// sysSetxattrat implements setxattrat(2): the value, its size and the
// flags come in a struct xattr_args.
func sysSetxattrat(t *task.Task, a *Args) (uintptr, error) {
	value, size, flags, err := xattrArgs(t, a[4], a[5])
	if err != nil {
		return 0, err
	}
	return setxattrAt(t, a[0], a[1], uint32(a[2]), a[3], value, size, flags)
}

// sysGetxattr implements getxattr(2).
func sysGetxattr(t *task.Task, a *Args) (uintptr, error) {
	return getxattrAt(t, atFdcwdArg, a[0], 0, a[1], a[2], uint64(a[3]))
}

// sysLgetxattr implements lgetxattr(2).
func sysLgetxattr(t *task.Task, a *Args) (uintptr, error) {
	return getxattrAt(t, atFdcwdArg, a[0], atSymlinkNofollow, a[1], a[2], uint64(a[3]))
}

// sysFgetxattr implements fgetxattr(2).
func sysFgetxattr(t *task.Task, a *Args) (uintptr, error) {
	return getxattrAt(t, a[0], 0, atEmptyPath, a[1], a[2], uint64(a[3]))
}

// sysGetxattrat implements getxattrat(2): the value's buffer and size
// come in a struct xattr_args whose flags must be 0.
func sysGetxattrat(t *task.Task, a *Args) (uintptr, error) {
	value, size, flags, err := xattrArgs(t, a[4], a[5])
	if err != nil {
		return 0, err
	}
	if flags != 0 {
		return 0, linuxerr.EINVAL
	}
	return getxattrAt(t, a[0], a[1], uint32(a[2]), a[3], value, size)
}

// sysListxattr implements listxattr(2).
func sysListxattr(t *task.Task, a *Args) (uintptr, error) {
	return listxattrAt(t, atFdcwdArg, a[0], 0, a[1], uint64(a[2]))
}

// sysLlistxattr implements llistxattr(2).
func sysLlistxattr(t *task.Task, a *Args) (uintptr, error) {
	return listxattrAt(t, atFdcwdArg, a[0], atSymlinkNofollow, a[1], uint64(a[2]))
}

// sysFlistxattr implements flistxattr(2).
func sysFlistxattr(t *task.Task, a *Args) (uintptr, error) {
	return listxattrAt(t, a[0], 0, atEmptyPath, a[1], uint64(a[2]))
}

// sysListxattrat implements listxattrat(2).
func sysListxattrat(t *task.Task, a *Args) (uintptr, error) {
	return listxattrAt(t, a[0], a[1], uint32(a[2]), a[3], uint64(a[4]))
}

// sysRemovexattr implements removexattr(2).
func sysRemovexattr(t *task.Task, a *Args) (uintptr, error) {
	return removexattrAt(t, atFdcwdArg, a[0], 0, a[1])
}

// sysLremovexattr implements lremovexattr(2).
func sysLremovexattr(t *task.Task, a *Args) (uintptr, error) {
	return removexattrAt(t, atFdcwdArg, a[0], atSymlinkNofollow, a[1])
}

// sysFremovexattr implements fremovexattr(2).
func sysFremovexattr(t *task.Task, a *Args) (uintptr, error) {
	return removexattrAt(t, a[0], 0, atEmptyPath, a[1])
}

// sysRemovexattrat implements removexattrat(2).
func sysRemovexattrat(t *task.Task, a *Args) (uintptr, error) {
	return removexattrAt(t, a[0], a[1], uint32(a[2]), a[3])
}

// xattrArgsSizeVer0 is the size of the first struct xattr_args
// (XATTR_ARGS_SIZE_VER0): value (u64), size (u32), flags (u32).
const xattrArgsSizeVer0 = 16

// xattrArgs reads setxattrat's and getxattrat's struct xattr_args of
// usize bytes: EINVAL below XATTR_ARGS_SIZE_VER0, E2BIG above a page,
// then copy_struct_from_user.
func xattrArgs(t *task.Task, addr, usize uintptr) (value uintptr, size uint64, flags uint32, err error) {
	b, err := readExtensibleStruct(t, addr, usize, xattrArgsSizeVer0)
	if err != nil {
		return 0, 0, 0, err
	}
	le := binary.LittleEndian
	return uintptr(le.Uint64(b)), uint64(le.Uint32(b[8:])), le.Uint32(b[12:]), nil
}

// xattrName reads an attribute's name as import_xattr_name does: ERANGE
// for an empty name or one longer than XATTR_NAME_MAX, EFAULT if it
// cannot be read up to its end.
func xattrName(t *task.Task, addr uintptr) (string, error) {
	name, err := t.CopyInString(addr, fs.XATTR_NAME_MAX+1)
	if linuxerr.Equals(linuxerr.ENAMETOOLONG, err) || err == nil && name == "" {
		return "", linuxerr.ERANGE
	}
	return name, err
}

// checkXattrAtFlags is the *xattrat calls' check of their AT_ flags.
func checkXattrAtFlags(atFlags uint32) error {
	if atFlags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return linuxerr.EINVAL
	}
	return nil
}

// xattrTarget finds the file an extended attribute call acts on
// (path_*xattrat): with AT_EMPTY_PATH a NULL or empty path names dirfd's
// file, which must be open for I/O (O_PATH is EBADF); setxattr and
// getxattr (cwdOK) then take AT_FDCWD as the working directory, the
// others refuse it (EBADF). Otherwise the path is looked up from dirfd,
// following a final symbolic link unless AT_SYMLINK_NOFOLLOW.
func xattrTarget(t *task.Task, dirfd, pathAddr uintptr, atFlags uint32, cwdOK bool) (fs.Path, error) {
	if atFlags&atEmptyPath == 0 {
		return lookupAt(t, dirfd, pathAddr, atFlags)
	}
	var path string
	if pathAddr != 0 {
		var err error
		if path, err = pathArg(t, pathAddr); err != nil {
			return fs.Path{}, err
		}
	}
	if path != "" {
		return lookupPath(t, dirfd, path, atFlags)
	}
	if cwdOK && int32(dirfd) == atFdcwd {
		return t.Proc.Cwd(), nil
	}
	f, err := getFileIO(t, dirfd)
	if err != nil {
		return fs.Path{}, err
	}
	defer f.DecRef()
	return f.Location(), nil
}

// setxattrAt is path_setxattrat: the AT_ flags, then setxattr_copy (the
// flags, the name, E2BIG for a value over XATTR_SIZE_MAX, the value),
// then the file.
func setxattrAt(t *task.Task, dirfd, pathAddr uintptr, atFlags uint32, nameAddr, valueAddr uintptr, size uint64, flags uint32) (uintptr, error) {
	if err := checkXattrAtFlags(atFlags); err != nil {
		return 0, err
	}
	if flags&^(fs.XATTR_CREATE|fs.XATTR_REPLACE) != 0 {
		return 0, linuxerr.EINVAL
	}
	name, err := xattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	if size > fs.XATTR_SIZE_MAX {
		return 0, linuxerr.E2BIG
	}
	value := make([]byte, size)
	if size > 0 {
		if err := accessOK(valueAddr, uintptr(size)); err != nil {
			return 0, err
		}
		if err := t.CopyIn(valueAddr, value); err != nil {
			return 0, err
		}
	}
	p, err := xattrTarget(t, dirfd, pathAddr, atFlags, true)
	if err != nil {
		return 0, err
	}
	return 0, fs.SetXattr(t, p, name, value, int(flags))
}

// getxattrAt is path_getxattrat and do_getxattr: the AT_ flags, the
// name, the file; the value is copied out only if there is one and the
// caller gave a size.
func getxattrAt(t *task.Task, dirfd, pathAddr uintptr, atFlags uint32, nameAddr, valueAddr uintptr, size uint64) (uintptr, error) {
	if err := checkXattrAtFlags(atFlags); err != nil {
		return 0, err
	}
	name, err := xattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	p, err := xattrTarget(t, dirfd, pathAddr, atFlags, true)
	if err != nil {
		return 0, err
	}
	v, n, err := fs.GetXattr(t, p, name, size)
	if err != nil {
		return 0, err
	}
	return uintptr(n), copyOutXattr(t, valueAddr, v, size)
}

// copyOutXattr copies a value or name list to the caller's buffer
// (EFAULT if it cannot be written); nothing when the caller asked only
// for the length or there is nothing.
func copyOutXattr(t *task.Task, addr uintptr, b []byte, size uint64) error {
	if size == 0 || len(b) == 0 {
		return nil
	}
	if err := accessOK(addr, uintptr(len(b))); err != nil {
		return err
	}
	return t.CopyOut(addr, b)
}

// listxattrAt is path_listxattrat and listxattr.
func listxattrAt(t *task.Task, dirfd, pathAddr uintptr, atFlags uint32, listAddr uintptr, size uint64) (uintptr, error) {
	if err := checkXattrAtFlags(atFlags); err != nil {
		return 0, err
	}
	p, err := xattrTarget(t, dirfd, pathAddr, atFlags, false)
	if err != nil {
		return 0, err
	}
	b, n, err := fs.ListXattr(t, p, size)
	if err != nil {
		return 0, err
	}
	return uintptr(n), copyOutXattr(t, listAddr, b, size)
}

// removexattrAt is path_removexattrat: the AT_ flags, the name, the
// file.
func removexattrAt(t *task.Task, dirfd, pathAddr uintptr, atFlags uint32, nameAddr uintptr) (uintptr, error) {
	if err := checkXattrAtFlags(atFlags); err != nil {
		return 0, err
	}
	name, err := xattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	p, err := xattrTarget(t, dirfd, pathAddr, atFlags, false)
	if err != nil {
		return 0, err
	}
	return 0, fs.SetXattr(t, p, name, nil, 0)
}
