package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/kernel/task"
)

// AT_FDCWD and the *at flags (include/uapi/linux/fcntl.h).
const (
	atFdcwd           = -100
	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
	atSymlinkFollow   = 0x400
	atNoAutomount     = 0x800
	atEmptyPath       = 0x1000
	atStatxSyncMask   = 0x6000
	atEaccess         = 0x200
)

// maxRWCount is MAX_RW_COUNT: one read or write moves at most this much.
const maxRWCount = 0x7ffff000

// taskSizeMax is TASK_SIZE_MAX: the end of the user address range.
const taskSizeMax = 0x7ffffffff000

// accessOK is Linux's access_ok: the range lies in user space. System
// calls check it before doing anything, so a kernel pointer fails with
// EFAULT even where nothing would be copied.
func accessOK(addr, n uintptr) error {
	if n > taskSizeMax || addr > taskSizeMax-n {
		return linuxerr.EFAULT
	}
	return nil
}

// getFile returns the open file at fd; the caller drops the reference.
func getFile(t *task.Task, fd uintptr) (*fs.File, error) {
	return t.Proc.FDs().Get(int32(fd))
}

// getFiles returns the open files at fd1 and fd2, looked up in that order;
// the caller drops both references.
func getFiles(t *task.Task, fd1, fd2 uintptr) (*fs.File, *fs.File, error) {
	f1, err := getFile(t, fd1)
	if err != nil {
		return nil, nil, err
	}
	f2, err := getFile(t, fd2)
	if err != nil {
		f1.DecRef()
		return nil, nil, err
	}
	return f1, f2, nil
}

// pathArg reads a path argument (EFAULT, ENAMETOOLONG as Linux's getname).
func pathArg(t *task.Task, addr uintptr) (string, error) {
	return t.CopyInString(addr, fs.PathMax)
}

// pathAt reads a path argument and finds the directory it is relative to
// (the *at calls' dirfd and path pair).
func pathAt(t *task.Task, dirfd, pathAddr uintptr) (fs.Path, string, error) {
	path, err := pathArg(t, pathAddr)
	if err != nil {
		return fs.Path{}, "", err
	}
	dir, err := baseDir(t, dirfd, path)
	return dir, path, err
}

// baseDir returns the directory a relative path given with dirfd starts
// from: the working directory for AT_FDCWD, else dirfd's directory. An
// absolute or empty path does not look at dirfd (the empty one fails
// with ENOENT when resolved).
func baseDir(t *task.Task, dirfd uintptr, path string) (fs.Path, error) {
	if path == "" || path[0] == '/' {
		return t.Proc.Cwd(), nil
	}
	return fdDir(t, dirfd)
}

// fdDir returns the directory dirfd names: the working directory for
// AT_FDCWD; EBADF, or ENOTDIR for a file that is not a directory.
func fdDir(t *task.Task, dirfd uintptr) (fs.Path, error) {
	if int32(dirfd) == atFdcwd {
		return t.Proc.Cwd(), nil
	}
	f, err := getFile(t, dirfd)
	if err != nil {
		return fs.Path{}, err
	}
	defer f.DecRef()
	if _, ok := f.Inode.(fs.Dir); !ok {
		return fs.Path{}, linuxerr.ENOTDIR
	}
	return f.Location(), nil
}

// fdPath returns where dirfd is, for the calls that act on it with
// AT_EMPTY_PATH and an empty path: the working directory for AT_FDCWD.
// O_PATH descriptors count.
func fdPath(t *task.Task, dirfd uintptr) (fs.Path, error) {
	if int32(dirfd) == atFdcwd {
		return t.Proc.Cwd(), nil
	}
	f, err := getFile(t, dirfd)
	if err != nil {
		return fs.Path{}, err
	}
	defer f.DecRef()
	return f.Location(), nil
}

// lookupAt resolves the *at calls' dirfd and path to what they name:
// with AT_EMPTY_PATH in flags an empty path names dirfd itself; with
// AT_SYMLINK_NOFOLLOW a final symbolic link is not followed.
func lookupAt(t *task.Task, dirfd, pathAddr uintptr, flags uint32) (fs.Path, error) {
	path, err := pathArg(t, pathAddr)
	if err != nil {
		return fs.Path{}, err
	}
	return lookupPath(t, dirfd, path, flags)
}

// lookupPath is lookupAt with the path read.
func lookupPath(t *task.Task, dirfd uintptr, path string, flags uint32) (fs.Path, error) {
	start, err := baseDir(t, dirfd, path)
	if err != nil {
		return fs.Path{}, err
	}
	if path == "" && flags&atEmptyPath != 0 {
		return fdPath(t, dirfd)
	}
	lf := fs.LookupFollow
	if flags&atSymlinkNofollow != 0 {
		lf = 0
	}
	return task.Root.Lookup(t, start, path, lf)
}

// getFileIO returns the open file at fd for a call that acts on the file
// itself: an O_PATH descriptor is EBADF (fdget).
func getFileIO(t *task.Task, fd uintptr) (*fs.File, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, err
	}
	if f.Flags()&fs.O_PATH != 0 {
		f.DecRef()
		return nil, linuxerr.EBADF
	}
	return f, nil
}

// readExtensibleStruct reads an extensible struct (openat2's open_how,
// the xattr calls' xattr_args) that the caller says is usize bytes long
// and whose first published size, all the kernel knows, is ver0: EINVAL
// below ver0, E2BIG above a page, then copy_struct_from_user.
func readExtensibleStruct(t *task.Task, addr, usize uintptr, ver0 int) ([]byte, error) {
	if usize < uintptr(ver0) {
		return nil, linuxerr.EINVAL
	}
	if usize > mm.PageSize {
		return nil, linuxerr.E2BIG
	}
	return copyStructFromUser(t, addr, usize, ver0)
}

// copyStructFromUser is copy_struct_from_user for a struct of known bytes
// given as usize bytes at addr: the known bytes (zeros past usize), then
// any bytes past them, which must be zero (E2BIG), read a page at a
// time.
func copyStructFromUser(t *task.Task, addr, usize uintptr, known int) ([]byte, error) {
	b := make([]byte, known)
	if err := t.CopyIn(addr, b[:min(usize, uintptr(known))]); err != nil {
		return nil, err
	}
	var chunk [mm.PageSize]byte
	for off := uintptr(known); off < usize; {
		c := chunk[:min(usize-off, mm.PageSize)]
		if err := t.CopyIn(addr+off, c); err != nil {
			return nil, err
		}
		for _, v := range c {
			if v != 0 {
				return nil, linuxerr.E2BIG
			}
		}
		off += uintptr(len(c))
	}
	return b, nil
}

func putU64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }
func putU32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func putU16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }

func copyOutU32(t *task.Task, addr uintptr, v uint32) error {
	var b [4]byte
	putU32(b[:], 0, v)
	return t.CopyOut(addr, b[:])
}

func copyOutU64(t *task.Task, addr uintptr, v uint64) error {
	var b [8]byte
	putU64(b[:], 0, v)
	return t.CopyOut(addr, b[:])
}

func copyInU64(t *task.Task, addr uintptr) (uint64, error) {
	var b [8]byte
	err := t.CopyIn(addr, b[:])
	return binary.LittleEndian.Uint64(b[:]), err
}
