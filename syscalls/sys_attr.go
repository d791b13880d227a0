package syscalls

import (
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// The calls that change attributes and sizes (fs/open.c, fs/utimes.c)
// and fallocate, fsync and their kin. The file system does the work
// (fs/attr.go); these read the arguments.

// sysChmod implements chmod(2).
func sysChmod(t *task.Task, a *Args) (uintptr, error) {
	return chmodAt(t, atFdcwdArg, a[0], uint32(a[1]), 0)
}

// sysFchmodat implements fchmodat(2), which has no flags argument.
func sysFchmodat(t *task.Task, a *Args) (uintptr, error) {
	return chmodAt(t, a[0], a[1], uint32(a[2]), 0)
}

// sysFchmodat2 implements fchmodat2(2): AT_SYMLINK_NOFOLLOW (a link's
// mode cannot change: EOPNOTSUPP) and AT_EMPTY_PATH.
func sysFchmodat2(t *task.Task, a *Args) (uintptr, error) {
	flags := uint32(a[3])
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, linuxerr.EINVAL
	}
	return chmodAt(t, a[0], a[1], uint32(a[2]), flags)
}

func chmodAt(t *task.Task, dirfd, pathAddr uintptr, mode, flags uint32) (uintptr, error) {
	p, err := lookupAt(t, dirfd, pathAddr, flags)
	if err != nil {
		return 0, err
	}
	return 0, fs.Chmod(p, mode)
}

// sysFchmod implements fchmod(2).
func sysFchmod(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, fs.Chmod(f.Location(), uint32(a[1]))
}

// sysChown implements chown(2).
func sysChown(t *task.Task, a *Args) (uintptr, error) {
	return chownAt(t, atFdcwdArg, a[0], uint32(a[1]), uint32(a[2]), 0)
}

// sysLchown implements lchown(2).
func sysLchown(t *task.Task, a *Args) (uintptr, error) {
	return chownAt(t, atFdcwdArg, a[0], uint32(a[1]), uint32(a[2]), atSymlinkNofollow)
}

// sysFchownat implements fchownat(2).
func sysFchownat(t *task.Task, a *Args) (uintptr, error) {
	flags := uint32(a[4])
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, linuxerr.EINVAL
	}
	return chownAt(t, a[0], a[1], uint32(a[2]), uint32(a[3]), flags)
}

func chownAt(t *task.Task, dirfd, pathAddr uintptr, uid, gid, flags uint32) (uintptr, error) {
	p, err := lookupAt(t, dirfd, pathAddr, flags)
	if err != nil {
		return 0, err
	}
	return 0, fs.Chown(p, uid, gid)
}

// sysFchown implements fchown(2).
func sysFchown(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, fs.Chown(f.Location(), uint32(a[1]), uint32(a[2]))
}

// utimensat(2)'s special nanosecond values.
const (
	utimeNow  = (1 << 30) - 1
	utimeOmit = (1 << 30) - 2
)

// sysUtimensat implements utimensat(2) (and futimens, which is utimensat
// with a NULL path): UTIME_NOW and UTIME_OMIT, AT_SYMLINK_NOFOLLOW and
// AT_EMPTY_PATH. With both times UTIME_OMIT nothing is done, not even the
// lookup.
func sysUtimensat(t *task.Task, a *Args) (uintptr, error) {
	var ts *[2][2]int64
	if a[2] != 0 {
		var b [32]byte
		if err := t.CopyIn(a[2], b[:]); err != nil {
			return 0, err
		}
		ts = &[2][2]int64{{getI64(b[0:]), getI64(b[8:])}, {getI64(b[16:]), getI64(b[24:])}}
		if ts[0][1] == utimeOmit && ts[1][1] == utimeOmit {
			return 0, nil
		}
	}
	return utimesAt(t, a[0], a[1], ts, uint32(a[3]))
}

// sysUtimes implements utimes(2).
func sysUtimes(t *task.Task, a *Args) (uintptr, error) {
	return futimesAt(t, atFdcwdArg, a[0], a[1])
}

// sysFutimesat implements futimesat(2).
func sysFutimesat(t *task.Task, a *Args) (uintptr, error) {
	return futimesAt(t, a[0], a[1], a[2])
}

// futimesAt reads the two struct timevals of utimes and futimesat: a
// microsecond count outside 0..999999 is EINVAL (do_futimesat).
func futimesAt(t *task.Task, dirfd, pathAddr, tvAddr uintptr) (uintptr, error) {
	var ts *[2][2]int64
	if tvAddr != 0 {
		var b [32]byte
		if err := t.CopyIn(tvAddr, b[:]); err != nil {
			return 0, err
		}
		ts = &[2][2]int64{{getI64(b[0:]), getI64(b[8:])}, {getI64(b[16:]), getI64(b[24:])}}
		for i := range ts {
			if ts[i][1] < 0 || ts[i][1] >= 1000000 {
				return 0, linuxerr.EINVAL
			}
			ts[i][1] *= 1000
		}
	}
	return utimesAt(t, dirfd, pathAddr, ts, 0)
}

// sysUtime implements utime(2): whole seconds.
func sysUtime(t *task.Task, a *Args) (uintptr, error) {
	var ts *[2][2]int64
	if a[1] != 0 {
		var b [16]byte
		if err := t.CopyIn(a[1], b[:]); err != nil {
			return 0, err
		}
		ts = &[2][2]int64{{getI64(b[0:]), 0}, {getI64(b[8:]), 0}}
	}
	return utimesAt(t, atFdcwdArg, a[0], ts, 0)
}

// utimesAt is do_utimes: a NULL path with a descriptor sets that file's
// times (no flags allowed then), otherwise the path is looked up.
func utimesAt(t *task.Task, dirfd, pathAddr uintptr, ts *[2][2]int64, flags uint32) (uintptr, error) {
	if ts != nil {
		for i := range ts {
			if ns := ts[i][1]; ns != utimeNow && ns != utimeOmit && (ns < 0 || ns > 999999999) {
				return 0, linuxerr.EINVAL
			}
		}
	}
	var p fs.Path
	if pathAddr == 0 && int32(dirfd) != atFdcwd {
		if flags != 0 {
			return 0, linuxerr.EINVAL
		}
		f, err := getFileIO(t, dirfd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		p = f.Location()
	} else {
		if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
			return 0, linuxerr.EINVAL
		}
		var err error
		if p, err = lookupAt(t, dirfd, pathAddr, flags); err != nil {
			return 0, err
		}
	}
	now := fs.Now()
	atime, mtime := &now, &now
	if ts != nil {
		atime, mtime = utimeArg(ts[0], now), utimeArg(ts[1], now)
	}
	return 0, fs.SetTimes(p, atime, mtime)
}

// utimeArg turns one timespec into a time: now for UTIME_NOW, nil for
// UTIME_OMIT.
func utimeArg(ts [2]int64, now time.Time) *time.Time {
	switch ts[1] {
	case utimeNow:
		return &now
	case utimeOmit:
		return nil
	}
	tm := time.Unix(ts[0], ts[1])
	return &tm
}

// sysTruncate implements truncate(2).
func sysTruncate(t *task.Task, a *Args) (uintptr, error) {
	if int64(a[1]) < 0 {
		return 0, linuxerr.EINVAL
	}
	start, path, err := pathAt(t, atFdcwdArg, a[0])
	if err != nil {
		return 0, err
	}
	p, err := task.Root.Lookup(t, start, path, fs.LookupFollow)
	if err != nil {
		return 0, err
	}
	return 0, fs.Truncate(p, int64(a[1]))
}

// sysFtruncate implements ftruncate(2).
func sysFtruncate(t *task.Task, a *Args) (uintptr, error) {
	if int64(a[1]) < 0 {
		return 0, linuxerr.EINVAL
	}
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, fs.Ftruncate(f, int64(a[1]))
}

// sysFallocate implements fallocate(2).
func sysFallocate(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, fs.Fallocate(f, uint32(a[1]), int64(a[2]), int64(a[3]))
}

// sysFsync implements fsync(2).
func sysFsync(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, fs.Fsync(f)
}

// sysFadvise64 implements fadvise64(2).
func sysFadvise64(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, fs.Fadvise(f, int64(a[1]), int64(a[2]), int32(a[3]))
}

// sysSyncFileRange implements sync_file_range(2).
func sysSyncFileRange(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, fs.SyncFileRange(f, int64(a[1]), int64(a[2]), uint32(a[3]))
}

// sysFdatasync implements fdatasync(2).
func sysFdatasync(t *task.Task, a *Args) (uintptr, error) { return sysFsync(t, a) }

// sysSync implements sync(2): memory is all there is to write to.
func sysSync(t *task.Task, a *Args) (uintptr, error) { return 0, nil }

// sysSyncfs implements syncfs(2): any open file will do, pipes included.
func sysSyncfs(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFileIO(t, a[0])
	if err != nil {
		return 0, err
	}
	f.DecRef()
	return 0, nil
}

func getI64(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }
