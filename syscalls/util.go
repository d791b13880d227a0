package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel"
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
func getFile(t *kernel.Task, fd uintptr) (*fs.File, error) {
	return t.Proc.FDs().Get(int32(fd))
}

// getFiles returns the open files at fd1 and fd2, looked up in that order;
// the caller drops both references.
func getFiles(t *kernel.Task, fd1, fd2 uintptr) (*fs.File, *fs.File, error) {
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
func pathArg(t *kernel.Task, addr uintptr) (string, error) {
	return t.CopyInString(addr, fs.PathMax)
}

// pathAt reads a path argument and finds the directory it is relative to
// (the *at calls' dirfd and path pair).
func pathAt(t *kernel.Task, dirfd, pathAddr uintptr) (fs.Dir, string, error) {
	path, err := pathArg(t, pathAddr)
	if err != nil {
		return nil, "", err
	}
	dir, err := baseDir(t, dirfd, path)
	return dir, path, err
}

// baseDir returns the directory a relative path given with dirfd starts
// from: the working directory for AT_FDCWD, else dirfd's directory.
func baseDir(t *kernel.Task, dirfd uintptr, path string) (fs.Dir, error) {
	if len(path) > 0 && path[0] == '/' || int32(dirfd) == atFdcwd {
		return t.Proc.Cwd(), nil
	}
	f, err := getFile(t, dirfd)
	if err != nil {
		return nil, err
	}
	defer f.DecRef()
	d, ok := f.Inode.(fs.Dir)
	if !ok {
		return nil, linuxerr.ENOTDIR
	}
	return d, nil
}

func putU64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }
func putU32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func putU16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }

func copyOutU32(t *kernel.Task, addr uintptr, v uint32) error {
	var b [4]byte
	putU32(b[:], 0, v)
	return t.CopyOut(addr, b[:])
}

func copyOutU64(t *kernel.Task, addr uintptr, v uint64) error {
	var b [8]byte
	putU64(b[:], 0, v)
	return t.CopyOut(addr, b[:])
}

func copyInU64(t *kernel.Task, addr uintptr) (uint64, error) {
	var b [8]byte
	err := t.CopyIn(addr, b[:])
	return binary.LittleEndian.Uint64(b[:]), err
}
