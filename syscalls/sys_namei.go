package syscalls

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// The calls that create, remove and rename names (fs/namei.c). The file
// system does the work (fs/namei.go); these read the arguments.

var atFdcwdArg = uintptr(atFdcwd & 0xffffffff)

// sysMkdir implements mkdir(2).
func sysMkdir(t *task.Task, a *Args) (uintptr, error) {
	return mkdirAt(t, atFdcwdArg, a[0], uint32(a[1]))
}

// sysMkdirat implements mkdirat(2).
func sysMkdirat(t *task.Task, a *Args) (uintptr, error) {
	return mkdirAt(t, a[0], a[1], uint32(a[2]))
}

func mkdirAt(t *task.Task, dirfd, pathAddr uintptr, mode uint32) (uintptr, error) {
	path, err := pathArg(t, pathAddr)
	if err != nil {
		return 0, err
	}
	return 0, mkdirPath(t, dirfd, path, mode)
}

// mkdirPath is do_mkdirat with the path read.
func mkdirPath(t *task.Task, dirfd uintptr, path string, mode uint32) error {
	start, err := baseDir(t, dirfd, path)
	if err != nil {
		return err
	}
	return task.Root.Mkdir(t, start, path, mode, t.Proc.Umask(0, false))
}

// sysMknod implements mknod(2).
func sysMknod(t *task.Task, a *Args) (uintptr, error) {
	return mknodAt(t, atFdcwdArg, a[0], uint32(a[1]), uint32(a[2]))
}

// sysMknodat implements mknodat(2).
func sysMknodat(t *task.Task, a *Args) (uintptr, error) {
	return mknodAt(t, a[0], a[1], uint32(a[2]), uint32(a[3]))
}

func mknodAt(t *task.Task, dirfd, pathAddr uintptr, mode, dev uint32) (uintptr, error) {
	start, path, err := pathAt(t, dirfd, pathAddr)
	if err != nil {
		return 0, err
	}
	return 0, task.Root.Mknod(t, start, path, mode, dev, t.Proc.Umask(0, false))
}

// sysUnlink implements unlink(2).
func sysUnlink(t *task.Task, a *Args) (uintptr, error) {
	start, path, err := pathAt(t, atFdcwdArg, a[0])
	if err != nil {
		return 0, err
	}
	return 0, task.Root.Unlink(t, start, path)
}

// sysUnlinkat implements unlinkat(2): AT_REMOVEDIR makes it rmdir.
func sysUnlinkat(t *task.Task, a *Args) (uintptr, error) {
	flags := uint32(a[2])
	if flags&^atRemovedir != 0 {
		return 0, linuxerr.EINVAL
	}
	path, err := pathArg(t, a[1])
	if err != nil {
		return 0, err
	}
	return 0, unlinkPath(t, a[0], path, flags)
}

// unlinkPath is do_unlinkat, or do_rmdir with AT_REMOVEDIR, with the
// path read.
func unlinkPath(t *task.Task, dirfd uintptr, path string, flags uint32) error {
	start, err := baseDir(t, dirfd, path)
	if err != nil {
		return err
	}
	if flags&atRemovedir != 0 {
		return task.Root.Rmdir(t, start, path)
	}
	return task.Root.Unlink(t, start, path)
}

// sysRmdir implements rmdir(2).
func sysRmdir(t *task.Task, a *Args) (uintptr, error) {
	start, path, err := pathAt(t, atFdcwdArg, a[0])
	if err != nil {
		return 0, err
	}
	return 0, task.Root.Rmdir(t, start, path)
}

// sysRename implements rename(2).
func sysRename(t *task.Task, a *Args) (uintptr, error) {
	return renameAt(t, atFdcwdArg, a[0], atFdcwdArg, a[1], 0)
}

// sysRenameat implements renameat(2).
func sysRenameat(t *task.Task, a *Args) (uintptr, error) {
	return renameAt(t, a[0], a[1], a[2], a[3], 0)
}

// sysRenameat2 implements renameat2(2).
func sysRenameat2(t *task.Task, a *Args) (uintptr, error) {
	return renameAt(t, a[0], a[1], a[2], a[3], uint32(a[4]))
}

func renameAt(t *task.Task, olddfd, oldAddr, newdfd, newAddr uintptr, flags uint32) (uintptr, error) {
	oldPath, newPath, err := pathArgs(t, oldAddr, newAddr)
	if err != nil {
		return 0, err
	}
	return 0, renamePath(t, olddfd, oldPath, newdfd, newPath, flags)
}

// pathArgs reads two path arguments, in order.
func pathArgs(t *task.Task, a, b uintptr) (string, string, error) {
	pa, err := pathArg(t, a)
	if err != nil {
		return "", "", err
	}
	pb, err := pathArg(t, b)
	return pa, pb, err
}

// renamePath is do_renameat2 with the paths read (getname comes first):
// EINVAL for unknown flags, then the rename.
func renamePath(t *task.Task, olddfd uintptr, oldPath string, newdfd uintptr, newPath string, flags uint32) error {
	if flags&^(fs.RENAME_NOREPLACE|fs.RENAME_EXCHANGE|fs.RENAME_WHITEOUT) != 0 {
		return linuxerr.EINVAL
	}
	oldStart, err := baseDir(t, olddfd, oldPath)
	if err != nil {
		return err
	}
	newStart, err := baseDir(t, newdfd, newPath)
	if err != nil {
		return err
	}
	return task.Root.Rename(t, oldStart, oldPath, newStart, newPath, flags)
}

// sysLink implements link(2).
func sysLink(t *task.Task, a *Args) (uintptr, error) {
	return linkAt(t, atFdcwdArg, a[0], atFdcwdArg, a[1], 0)
}

// sysLinkat implements linkat(2): AT_SYMLINK_FOLLOW follows a final
// symbolic link of the old path, AT_EMPTY_PATH names olddfd's file (an
// O_TMPFILE file gets its first name this way).
func sysLinkat(t *task.Task, a *Args) (uintptr, error) {
	return linkAt(t, a[0], a[1], a[2], a[3], uint32(a[4]))
}

func linkAt(t *task.Task, olddfd, oldAddr, newdfd, newAddr uintptr, flags uint32) (uintptr, error) {
	oldPath, newPath, err := pathArgs(t, oldAddr, newAddr)
	if err != nil {
		return 0, err
	}
	return 0, linkPath(t, olddfd, oldPath, newdfd, newPath, flags)
}

// linkPath is do_linkat with the paths read (getname comes first):
// EINVAL for flags other than AT_SYMLINK_FOLLOW and AT_EMPTY_PATH, then
// the link.
func linkPath(t *task.Task, olddfd uintptr, oldPath string, newdfd uintptr, newPath string, flags uint32) error {
	if flags&^(atSymlinkFollow|atEmptyPath) != 0 {
		return linuxerr.EINVAL
	}
	lf := uint32(atSymlinkNofollow)
	if flags&atSymlinkFollow != 0 {
		lf = 0
	}
	old, err := lookupPath(t, olddfd, oldPath, lf|flags&atEmptyPath)
	if err != nil {
		return err
	}
	newStart, err := baseDir(t, newdfd, newPath)
	if err != nil {
		return err
	}
	return task.Root.Link(t, old, newStart, newPath)
}

// sysSymlink implements symlink(2).
func sysSymlink(t *task.Task, a *Args) (uintptr, error) {
	return symlinkAt(t, a[0], atFdcwdArg, a[1])
}

// sysSymlinkat implements symlinkat(2).
func sysSymlinkat(t *task.Task, a *Args) (uintptr, error) {
	return symlinkAt(t, a[0], a[1], a[2])
}

func symlinkAt(t *task.Task, targetAddr, newdfd, pathAddr uintptr) (uintptr, error) {
	target, err := pathArg(t, targetAddr)
	if err != nil {
		return 0, err
	}
	path, err := pathArg(t, pathAddr)
	if err != nil {
		return 0, err
	}
	return 0, symlinkPath(t, target, newdfd, path)
}

// symlinkPath is do_symlinkat with the paths read.
func symlinkPath(t *task.Task, target string, newdfd uintptr, path string) error {
	start, err := baseDir(t, newdfd, path)
	if err != nil {
		return err
	}
	return task.Root.Symlink(t, target, start, path)
}
