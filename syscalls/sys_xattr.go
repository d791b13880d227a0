package syscalls

import (
	"encoding/binary"
	"strings"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// Extended attributes (fs/xattr.c). oyako's file systems keep none and
// have no xattr handlers, as Linux's ramfs: reading, setting or removing
// an attribute fails with EOPNOTSUPP once the name, the file and the
// permission to use the name's namespace were checked, and a file's list
// of attributes is empty. Programs take EOPNOTSUPP as "no ACL, no
// security label" (GNU ls -l, cp -a, tar): before these calls existed
// their ENOSYS made ls -l print "Function not implemented" for every
// file.
//
// Limits: no attribute can be stored (tmpfs stores user.*, trusted.* and
// security.* ones); inode_permission's check of the file's mode for
// user.* names is not made (it comes before EOPNOTSUPP on Linux).

// importXattrName reads an attribute name (import_xattr_name): EFAULT,
// or ERANGE for an empty name or one longer than XATTR_NAME_MAX.
func importXattrName(t *task.Task, addr uintptr) (string, error) {
	name, err := t.CopyInString(addr, linux.XATTR_NAME_MAX+1)
	if linuxerr.Equals(linuxerr.ENAMETOOLONG, err) || err == nil && name == "" {
		return "", linuxerr.ERANGE
	}
	return name, err
}

// xattrPermission is xattr_permission for a file system without
// attributes: trusted.* names are for CAP_SYS_ADMIN only, user.* ones for
// regular files and directories; a reader is told there is no such
// attribute (ENODATA), a writer EPERM.
func xattrPermission(t *task.Task, p fs.Path, name string, write bool) error {
	refuse := linuxerr.ENODATA
	if write {
		refuse = linuxerr.EPERM
	}
	switch {
	case strings.HasPrefix(name, linux.XATTR_TRUSTED_PREFIX):
		if t.Proc.Creds().EUID != 0 {
			return refuse
		}
	case strings.HasPrefix(name, linux.XATTR_USER_PREFIX):
		if typ := p.Node.Attr().Mode & fs.S_IFMT; typ != fs.S_IFREG && typ != fs.S_IFDIR {
			return refuse
		}
	}
	return nil
}

// xattrPath resolves a path argument, following a final symlink or not
// (the l- forms).
func xattrPath(t *task.Task, addr uintptr, follow bool) (fs.Path, error) {
	var flags uint32
	if !follow {
		flags = atSymlinkNofollow
	}
	return lookupAt(t, atFdcwdArg, addr, flags)
}

// getXattr is vfs_getxattr on a file without attributes.
func getXattr(t *task.Task, p fs.Path, name string) (uintptr, error) {
	if err := xattrPermission(t, p, name, false); err != nil {
		return 0, err
	}
	return 0, linuxerr.EOPNOTSUPP
}

// sysGetxattr implements getxattr(2).
func sysGetxattr(t *task.Task, a *Args) (uintptr, error) { return pathGetxattr(t, a, true) }

// sysLgetxattr implements lgetxattr(2).
func sysLgetxattr(t *task.Task, a *Args) (uintptr, error) { return pathGetxattr(t, a, false) }

// pathGetxattr reads the name before the path (path_getxattr).
func pathGetxattr(t *task.Task, a *Args, follow bool) (uintptr, error) {
	name, err := importXattrName(t, a[1])
	if err != nil {
		return 0, err
	}
	p, err := xattrPath(t, a[0], follow)
	if err != nil {
		return 0, err
	}
	return getXattr(t, p, name)
}

// sysFgetxattr implements fgetxattr(2). As for the other f- forms, the
// name (and setxattr's flags and value) are read before the descriptor
// is looked up, as Linux 6.18 does (some earlier versions looked the
// descriptor up first): fgetxattr(-1, "") is ERANGE. An O_PATH
// descriptor is EBADF.
func sysFgetxattr(t *task.Task, a *Args) (uintptr, error) {
	name, err := importXattrName(t, a[1])
	if err != nil {
		return 0, err
	}
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return getXattr(t, f.Location(), name)
}

// sysListxattr implements listxattr(2): the list is empty.
func sysListxattr(t *task.Task, a *Args) (uintptr, error) {
	_, err := xattrPath(t, a[0], true)
	return 0, err
}

// sysLlistxattr implements llistxattr(2).
func sysLlistxattr(t *task.Task, a *Args) (uintptr, error) {
	_, err := xattrPath(t, a[0], false)
	return 0, err
}

// sysFlistxattr implements flistxattr(2).
func sysFlistxattr(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	f.DecRef()
	return 0, nil
}

// setxattrCopy checks setxattr's flags and reads its name and value
// (setxattr_copy): EINVAL for unknown flags, then the name's errors, E2BIG
// for a value over XATTR_SIZE_MAX, EFAULT. The value is never nil.
func setxattrCopy(t *task.Task, nameAddr, valueAddr, size, flags uintptr) (name string, value []byte, err error) {
	if flags&^(linux.XATTR_CREATE|linux.XATTR_REPLACE) != 0 {
		return "", nil, linuxerr.EINVAL
	}
	if name, err = importXattrName(t, nameAddr); err != nil {
		return "", nil, err
	}
	value = []byte{}
	if size > 0 {
		if size > linux.XATTR_SIZE_MAX {
			return "", nil, linuxerr.E2BIG
		}
		value = make([]byte, size)
		if err := t.CopyIn(valueAddr, value); err != nil {
			return "", nil, err
		}
	}
	return name, value, nil
}

// changeXattr is vfs_setxattr (value != nil) or vfs_removexattr on a
// file without attributes, after mnt_want_write. A POSIX ACL being set is
// parsed first (do_set_acl).
func changeXattr(t *task.Task, p fs.Path, name string, value []byte) (uintptr, error) {
	if p.Mnt != nil && p.Mnt.ReadOnly() {
		return 0, linuxerr.EROFS
	}
	if value != nil && (name == xattrNamePosixACLAccess || name == xattrNamePosixACLDefault) {
		return 0, checkACLValue(value)
	}
	if err := xattrPermission(t, p, name, true); err != nil {
		return 0, err
	}
	return 0, linuxerr.EOPNOTSUPP
}

// The names of POSIX ACLs (XATTR_NAME_POSIX_ACL_ACCESS and _DEFAULT in
// include/uapi/linux/xattr.h).
const (
	xattrNamePosixACLAccess  = "system.posix_acl_access"
	xattrNamePosixACLDefault = "system.posix_acl_default"
)

// checkACLValue is the part of posix_acl_from_xattr that comes before
// the file system: EINVAL for a value shorter than the header or holding
// a partial entry, EOPNOTSUPP for a version other than
// POSIX_ACL_XATTR_VERSION; a well-formed ACL still gets EOPNOTSUPP (the
// file system has no ACLs). The entries themselves are not checked.
func checkACLValue(v []byte) error {
	const header, entry, version = 4, 8, 2
	switch {
	case len(v) == 0:
	case len(v) < header:
		return linuxerr.EINVAL
	case binary.LittleEndian.Uint32(v) != version:
		return linuxerr.EOPNOTSUPP
	case (len(v)-header)%entry != 0:
		return linuxerr.EINVAL
	}
	return linuxerr.EOPNOTSUPP
}

// sysSetxattr implements setxattr(2).
func sysSetxattr(t *task.Task, a *Args) (uintptr, error) { return pathSetxattr(t, a, true) }

// sysLsetxattr implements lsetxattr(2).
func sysLsetxattr(t *task.Task, a *Args) (uintptr, error) { return pathSetxattr(t, a, false) }

func pathSetxattr(t *task.Task, a *Args, follow bool) (uintptr, error) {
	name, value, err := setxattrCopy(t, a[1], a[2], a[3], a[4])
	if err != nil {
		return 0, err
	}
	p, err := xattrPath(t, a[0], follow)
	if err != nil {
		return 0, err
	}
	return changeXattr(t, p, name, value)
}

// sysFsetxattr implements fsetxattr(2).
func sysFsetxattr(t *task.Task, a *Args) (uintptr, error) {
	name, value, err := setxattrCopy(t, a[1], a[2], a[3], a[4])
	if err != nil {
		return 0, err
	}
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return changeXattr(t, f.Location(), name, value)
}

// sysRemovexattr implements removexattr(2).
func sysRemovexattr(t *task.Task, a *Args) (uintptr, error) { return pathRemovexattr(t, a, true) }

// sysLremovexattr implements lremovexattr(2).
func sysLremovexattr(t *task.Task, a *Args) (uintptr, error) { return pathRemovexattr(t, a, false) }

func pathRemovexattr(t *task.Task, a *Args, follow bool) (uintptr, error) {
	name, err := importXattrName(t, a[1])
	if err != nil {
		return 0, err
	}
	p, err := xattrPath(t, a[0], follow)
	if err != nil {
		return 0, err
	}
	return changeXattr(t, p, name, nil)
}

// sysFremovexattr implements fremovexattr(2).
func sysFremovexattr(t *task.Task, a *Args) (uintptr, error) {
	name, err := importXattrName(t, a[1])
	if err != nil {
		return 0, err
	}
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return changeXattr(t, f.Location(), name, nil)
}
