package fs

import (
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Changing attributes: chmod, chown, utimes, truncate, fallocate and
// fsync, as fs/attr.c, fs/open.c, fs/utimes.c and the tmpfs setattr have
// them. Every caller is root, so the checks are root's: no permission
// errors, but read-only mounts are EROFS.

// setattrTarget returns p's metadata, or, for inodes without (procfs),
// errNoSetattr: procfs takes owners and times silently and refuses modes.
func setattrTarget(p Path) (*ramInode, error) {
	if err := wantWrite(p.Mnt); err != nil {
		return nil, err
	}
	n, ok := p.Node.(ramNode)
	if !ok {
		return nil, errNoSetattr
	}
	return n.meta(), nil
}

var errNoSetattr = linuxerr.EPERM

// Chmod implements chmod(2), fchmod(2) and fchmodat(2): the permission,
// set-ID and sticky bits of mode; the type bits stay (chmod_common). A
// symbolic link's mode cannot change (EOPNOTSUPP, notify_change).
func Chmod(p Path, mode uint32) error {
	m, err := setattrTarget(p)
	if err != nil {
		return err
	}
	if _, ok := p.Node.(Symlink); ok {
		return linuxerr.EOPNOTSUPP
	}
	m.mu.Lock()
	m.attr.Mode = m.attr.Mode&S_IFMT | mode&0o7777
	m.attr.Ctime = Now()
	m.mu.Unlock()
	return nil
}

// NoID is (uid_t)-1: chown leaves that ID alone.
const NoID = ^uint32(0)

// Chown implements chown(2), fchown(2), lchown(2) and fchownat(2): NoID
// leaves an ID as it is. For anything but a directory it clears the
// set-user-ID bit, and the set-group-ID bit if the group may execute,
// even when neither ID changes (chown_common's ATTR_KILL_SUID and
// ATTR_KILL_SGID, setattr_should_drop_sgid).
func Chown(p Path, uid, gid uint32) error {
	m, err := setattrTarget(p)
	if err == errNoSetattr {
		return nil // proc_setattr accepts owners
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if uid != NoID {
		m.attr.UID = uid
	}
	if gid != NoID {
		m.attr.GID = gid
	}
	if m.attr.Mode&S_IFMT != S_IFDIR {
		m.attr.Mode &^= S_ISUID
		if m.attr.Mode&(S_ISGID|0o010) == S_ISGID|0o010 {
			m.attr.Mode &^= S_ISGID
		}
	}
	m.attr.Ctime = Now()
	return nil
}

// SetTimes implements the utimensat(2) family on p (vfs_utimes): nil
// leaves a time alone (UTIME_OMIT); the change time becomes now.
func SetTimes(p Path, atime, mtime *time.Time) error {
	m, err := setattrTarget(p)
	if err == errNoSetattr {
		return nil
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if atime != nil {
		m.attr.Atime = *atime
	}
	if mtime != nil {
		m.attr.Mtime = *mtime
	}
	m.attr.Ctime = Now()
	return nil
}

// Truncate implements truncate(2) on p (vfs_truncate): EISDIR for a
// directory, EINVAL for anything but a regular file, EROFS on a read-only
// mount. The times change only if the size does.
func Truncate(p Path, size int64) error {
	if size < 0 {
		return linuxerr.EINVAL
	}
	if _, ok := p.Node.(Dir); ok {
		return linuxerr.EISDIR
	}
	reg, ok := p.Node.(Regular)
	if !ok {
		return linuxerr.EINVAL
	}
	if err := wantWrite(p.Mnt); err != nil {
		return err
	}
	return reg.Truncate(size)
}

// Ftruncate implements ftruncate(2) on f (do_ftruncate): EINVAL unless f
// is a regular file open for writing; the modification and change times
// become now even if the size stays.
func Ftruncate(f *File, size int64) error {
	if size < 0 {
		return linuxerr.EINVAL
	}
	reg, ok := f.Inode.(Regular)
	if !ok || f.ops != nil || !f.Writable() {
		return linuxerr.EINVAL
	}
	return truncateOpen(reg, size)
}

// truncateOpen truncates a file being written (ftruncate, O_TRUNC), which
// sets its modification and change times whatever the size was.
func truncateOpen(reg Regular, size int64) error {
	if err := reg.Truncate(size); err != nil {
		return err
	}
	if n, ok := reg.(ramNode); ok {
		n.meta().touch(touchMC)
	}
	return nil
}

// fallocate(2) modes (include/uapi/linux/falloc.h).
const (
	FALLOC_FL_KEEP_SIZE      = 0x01
	FALLOC_FL_PUNCH_HOLE     = 0x02
	FALLOC_FL_NO_HIDE_STALE  = 0x04
	FALLOC_FL_COLLAPSE_RANGE = 0x08
	FALLOC_FL_ZERO_RANGE     = 0x10
	FALLOC_FL_INSERT_RANGE   = 0x20
	FALLOC_FL_UNSHARE_RANGE  = 0x40
	FALLOC_FL_WRITE_ZEROES   = 0x80

	fallocSupported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE |
		FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_WRITE_ZEROES
)

// Fallocate implements fallocate(2) on f in vfs_fallocate's order:
// EINVAL for a bad range, EOPNOTSUPP for unknown or contradictory modes,
// EBADF unless open for writing, ESPIPE for a pipe, EISDIR for a
// directory, ENODEV for other non-regular files, EFBIG past the largest
// size. tmpfs supports allocation (mode 0, with or without
// FALLOC_FL_KEEP_SIZE) and FALLOC_FL_PUNCH_HOLE (shmem_fallocate); other
// modes are EOPNOTSUPP.
func Fallocate(f *File, mode uint32, off, n int64) error {
	if off < 0 || n <= 0 {
		return linuxerr.EINVAL
	}
	if mode&^fallocSupported != 0 {
		return linuxerr.EOPNOTSUPP
	}
	switch mode &^ FALLOC_FL_KEEP_SIZE {
	case 0, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_UNSHARE_RANGE:
	case FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_WRITE_ZEROES:
		if mode&FALLOC_FL_KEEP_SIZE != 0 {
			return linuxerr.EOPNOTSUPP
		}
	default:
		return linuxerr.EOPNOTSUPP
	}
	if mode&FALLOC_FL_PUNCH_HOLE != 0 && mode&FALLOC_FL_KEEP_SIZE == 0 {
		return linuxerr.EOPNOTSUPP
	}
	if !f.Writable() {
		return linuxerr.EBADF
	}
	switch f.Inode.Attr().Mode & S_IFMT {
	case S_IFIFO:
		return linuxerr.ESPIPE
	case S_IFDIR:
		return linuxerr.EISDIR
	case S_IFREG, S_IFBLK:
	default:
		return linuxerr.ENODEV
	}
	if n > maxFileSize-off {
		return linuxerr.EFBIG
	}
	rf, ok := f.Inode.(*RamFile)
	if !ok || f.ops != nil {
		return linuxerr.EOPNOTSUPP
	}
	switch mode {
	case 0, FALLOC_FL_KEEP_SIZE:
		return rf.Allocate(off, n, mode != 0)
	case FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE:
		return rf.PunchHole(off, n)
	}
	return linuxerr.EOPNOTSUPP
}

// Fsync implements fsync(2) and fdatasync(2): tmpfs files and directories
// have nothing to write back (noop_fsync); everything else has no fsync
// operation and answers EINVAL, as pipes, terminals and devices do on
// Linux.
func Fsync(f *File) error {
	switch f.Inode.(type) {
	case *RamFile:
		if f.ops == nil {
			return nil
		}
	case *RamDir:
		return nil
	}
	return linuxerr.EINVAL
}

// posix_fadvise(2) advice (include/uapi/linux/fadvise.h): NORMAL,
// RANDOM, SEQUENTIAL, WILLNEED, DONTNEED and NOREUSE are 0 to 5.
const fadvNoreuse = 5

// Fadvise implements fadvise64(2) (generic_fadvise): ESPIPE for a pipe,
// EINVAL for a negative length or unknown advice. The advice itself
// changes nothing: every page of oyako's files is in memory and stays
// there, as for a file system without a backing device.
func Fadvise(f *File, off, n int64, advice int32) error {
	if f.Inode.Attr().Mode&S_IFMT == S_IFIFO {
		return linuxerr.ESPIPE
	}
	if n < 0 || advice < 0 || advice > fadvNoreuse {
		return linuxerr.EINVAL
	}
	return nil
}

// sync_file_range(2) flags.
const (
	SYNC_FILE_RANGE_WAIT_BEFORE = 1
	SYNC_FILE_RANGE_WRITE       = 2
	SYNC_FILE_RANGE_WAIT_AFTER  = 4
)

// SyncFileRange implements sync_file_range(2)'s checks (fs/sync.c):
// EINVAL for unknown flags, a negative offset or end, or a range that
// wraps; ESPIPE for files other than regular files, directories, links
// and block devices. Memory is all there is to write back to.
func SyncFileRange(f *File, off, n int64, flags uint32) error {
	if flags&^(SYNC_FILE_RANGE_WAIT_BEFORE|SYNC_FILE_RANGE_WRITE|SYNC_FILE_RANGE_WAIT_AFTER) != 0 {
		return linuxerr.EINVAL
	}
	end := uint64(off) + uint64(n)
	if off < 0 || int64(end) < 0 || end < uint64(off) {
		return linuxerr.EINVAL
	}
	switch f.Inode.Attr().Mode & S_IFMT {
	case S_IFREG, S_IFBLK, S_IFDIR, S_IFLNK:
		return nil
	}
	return linuxerr.ESPIPE
}
