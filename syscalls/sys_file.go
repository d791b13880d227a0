package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// sysOpenat implements openat(2).
func sysOpenat(t *task.Task, a *Args) (uintptr, error) {
	return openAt(t, a[0], a[1], uint32(a[2]), uint32(a[3]))
}

// sysOpen implements open(2).
func sysOpen(t *task.Task, a *Args) (uintptr, error) {
	return openAt(t, uintptr(atFdcwd&0xffffffff), a[0], uint32(a[1]), uint32(a[2]))
}

// sysCreat implements creat(2).
func sysCreat(t *task.Task, a *Args) (uintptr, error) {
	return openAt(t, uintptr(atFdcwd&0xffffffff), a[0], fs.O_CREAT|fs.O_WRONLY|fs.O_TRUNC, uint32(a[1]))
}

func openAt(t *task.Task, dirfd, pathAddr uintptr, flags, mode uint32) (uintptr, error) {
	path, err := pathArg(t, pathAddr)
	if err != nil {
		return 0, err
	}
	f, err := openPath(t, dirfd, path, flags, mode, 0)
	if err != nil {
		return 0, err
	}
	return installOpened(t, f, flags)
}

// openPath opens path relative to dirfd (do_filp_open) under openat2's
// resolve flags; a scoped resolution (RESOLVE_BENEATH, RESOLVE_IN_ROOT)
// starts at dirfd even for an absolute path, which it then refuses or
// takes as relative to dirfd (path_init with LOOKUP_IS_SCOPED).
func openPath(t *task.Task, dirfd uintptr, path string, flags, mode, resolve uint32) (*fs.File, error) {
	var dir fs.Path
	var err error
	if resolve&(fs.RESOLVE_BENEATH|fs.RESOLVE_IN_ROOT) != 0 && path != "" {
		dir, err = fdDir(t, dirfd)
	} else {
		dir, err = baseDir(t, dirfd, path)
	}
	if err != nil {
		return nil, err
	}
	// A 64-bit kernel opens every file O_LARGEFILE (force_o_largefile),
	// which F_GETFL and /proc/PID/fdinfo show.
	return task.Root.OpenResolve(t, dir, path, flags|fs.O_LARGEFILE, mode, t.Proc.Umask(0, false), resolve)
}

// installOpened gives a file opened with flags a descriptor and makes
// an opened terminal the controlling one when open(2) would.
func installOpened(t *task.Task, f *fs.File, flags uint32) (uintptr, error) {
	fd, err := installNew(t, f, flags&fs.O_CLOEXEC != 0)
	if err != nil {
		return 0, err
	}
	if tty, ok := f.Ops().(*fs.TTY); ok && flags&(fs.O_NOCTTY|fs.O_PATH) == 0 && !fs.IsConsole(f) {
		t.OpenedTTY(tty)
	}
	return fd, nil
}

// openHow is struct open_how (include/uapi/linux/openat2.h).
type openHow struct {
	flags, mode, resolve uint64
}

// openHowSizeVer0 is the first published size of struct open_how
// (OPEN_HOW_SIZE_VER0).
const openHowSizeVer0 = 24

// readOpenHow copies in a struct open_how of size bytes as openat2 does
// (readExtensibleStruct).
func readOpenHow(t *task.Task, addr, size uintptr) (openHow, error) {
	b, err := readExtensibleStruct(t, addr, size, openHowSizeVer0)
	if err != nil {
		return openHow{}, err
	}
	return decodeOpenHow(b), nil
}

// copyOpenHow is copy_struct_from_user for struct open_how of size bytes
// (at least OPEN_HOW_SIZE_VER0).
func copyOpenHow(t *task.Task, addr, size uintptr) (openHow, error) {
	b, err := copyStructFromUser(t, addr, size, openHowSizeVer0)
	if err != nil {
		return openHow{}, err
	}
	return decodeOpenHow(b), nil
}

func decodeOpenHow(b []byte) openHow {
	return openHow{
		flags:   binary.LittleEndian.Uint64(b[0:]),
		mode:    binary.LittleEndian.Uint64(b[8:]),
		resolve: binary.LittleEndian.Uint64(b[16:]),
	}
}

// validOpenFlags are the flags open(2) knows (VALID_OPEN_FLAGS): openat2
// refuses others, open and openat ignore them.
const validOpenFlags = fs.O_ACCMODE | fs.O_CREAT | fs.O_EXCL | fs.O_NOCTTY | fs.O_TRUNC | fs.O_APPEND |
	fs.O_NONBLOCK | fs.O_SYNC | fs.O_DSYNC | oFASYNC | fs.O_DIRECT | fs.O_LARGEFILE | fs.O_DIRECTORY |
	fs.O_NOFOLLOW | fs.O_NOATIME | fs.O_CLOEXEC | fs.O_PATH | fs.O_TMPFILE

// oFASYNC is FASYNC (O_ASYNC).
const oFASYNC = 0o20000

// checkOpenHow is build_open_flags' checks of what openat2 passes
// unfiltered, in Linux's order: unknown open flags and resolve flags,
// RESOLVE_BENEATH with RESOLVE_IN_ROOT, a mode without O_CREAT or
// O_TMPFILE or with bits beyond 07777, O_PATH with flags beyond
// O_PATH_FLAGS (all EINVAL); RESOLVE_CACHED with O_TRUNC, O_CREAT or
// O_TMPFILE is EAGAIN (such opens are never cached). The other checks
// are openat's, made by the file system.
func checkOpenHow(how openHow) error {
	flags := how.flags &^ fs.O_CLOEXEC
	if flags&^validOpenFlags != 0 || how.resolve&^fs.ResolveValid != 0 {
		return linuxerr.EINVAL
	}
	if how.resolve&fs.RESOLVE_BENEATH != 0 && how.resolve&fs.RESOLVE_IN_ROOT != 0 {
		return linuxerr.EINVAL
	}
	if flags&(fs.O_CREAT|fs.O_TMPFILE&^fs.O_DIRECTORY) != 0 {
		if how.mode&^0o7777 != 0 {
			return linuxerr.EINVAL
		}
	} else if how.mode != 0 {
		return linuxerr.EINVAL
	}
	if flags&fs.O_PATH != 0 && flags&^(fs.O_DIRECTORY|fs.O_NOFOLLOW|fs.O_PATH) != 0 {
		return linuxerr.EINVAL
	}
	if how.resolve&fs.RESOLVE_CACHED != 0 && flags&(fs.O_TRUNC|fs.O_CREAT|fs.O_TMPFILE&^fs.O_DIRECTORY) != 0 {
		return linuxerr.EAGAIN
	}
	return nil
}

// sysOpenat2 implements openat2(2): openat with a struct open_how whose
// flags and mode are checked instead of filtered, and resolve flags.
func sysOpenat2(t *task.Task, a *Args) (uintptr, error) {
	how, err := readOpenHow(t, a[2], a[3])
	if err != nil {
		return 0, err
	}
	if err := checkOpenHow(how); err != nil {
		return 0, err
	}
	path, err := pathArg(t, a[1])
	if err != nil {
		return 0, err
	}
	f, err := openPath(t, a[0], path, uint32(how.flags), uint32(how.mode), uint32(how.resolve))
	if err != nil {
		return 0, err
	}
	return installOpened(t, f, uint32(how.flags))
}

// sysClose implements close(2).
func sysClose(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.Proc.FDs().Close(int32(a[0]))
}

// statBytes encodes struct stat (arch/x86/include/uapi/asm/stat.h).
func statBytes(at fs.Attr) []byte {
	b := make([]byte, 144)
	putU64(b, 0, at.Dev)
	putU64(b, 8, at.Ino)
	putU64(b, 16, uint64(at.Nlink))
	putU32(b, 24, at.Mode)
	putU32(b, 28, at.UID)
	putU32(b, 32, at.GID)
	putU64(b, 40, at.Rdev)
	putU64(b, 48, uint64(at.Size))
	putU64(b, 56, uint64(at.Blksize))
	putU64(b, 64, uint64(at.Blocks))
	for i, tm := range [3]int64{at.Atime.UnixNano(), at.Mtime.UnixNano(), at.Ctime.UnixNano()} {
		putU64(b, 72+16*i, uint64(tm/1e9))
		putU64(b, 80+16*i, uint64(tm%1e9))
	}
	return b
}

// statAt resolves a path for the stat family: AT_EMPTY_PATH with an empty
// path means dirfd itself.
func statAt(t *task.Task, dirfd, pathAddr uintptr, flags uint32) (fs.Attr, error) {
	p, err := lookupAt(t, dirfd, pathAddr, flags)
	if err != nil {
		return fs.Attr{}, err
	}
	return p.Node.Attr(), nil
}

// sysNewfstatat implements newfstatat(2) (fstatat).
func sysNewfstatat(t *task.Task, a *Args) (uintptr, error) {
	flags := uint32(a[3])
	if flags&^(atSymlinkNofollow|atEmptyPath|atNoAutomount) != 0 {
		return 0, linuxerr.EINVAL
	}
	at, err := statAt(t, a[0], a[1], flags)
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(a[2], statBytes(at))
}

// sysNewstat implements stat(2).
func sysNewstat(t *task.Task, a *Args) (uintptr, error) {
	at, err := statAt(t, uintptr(atFdcwd&0xffffffff), a[0], 0)
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(a[1], statBytes(at))
}

// sysNewlstat implements lstat(2).
func sysNewlstat(t *task.Task, a *Args) (uintptr, error) {
	at, err := statAt(t, uintptr(atFdcwd&0xffffffff), a[0], atSymlinkNofollow)
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(a[1], statBytes(at))
}

// sysNewfstat implements fstat(2).
func sysNewfstat(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, t.CopyOut(a[1], statBytes(f.Inode.Attr()))
}

// statx mask bits (include/uapi/linux/stat.h).
const (
	statxBasicStats = 0x7ff
	statxReserved   = 0x80000000
)

// sysStatx implements statx(2).
func sysStatx(t *task.Task, a *Args) (uintptr, error) {
	flags, mask := uint32(a[2]), uint32(a[3])
	if err := checkStatx(flags, mask); err != nil {
		return 0, err
	}
	at, err := statAt(t, a[0], a[1], flags)
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(a[4], statxBytes(at))
}

// checkStatx is statx's checks of its flags and mask (EINVAL).
func checkStatx(flags, mask uint32) error {
	if flags&^(atSymlinkNofollow|atEmptyPath|atNoAutomount|atStatxSyncMask) != 0 || flags&atStatxSyncMask == atStatxSyncMask || mask&statxReserved != 0 {
		return linuxerr.EINVAL
	}
	return nil
}

// statxBytes is the struct statx of a file's attributes.
func statxBytes(at fs.Attr) []byte {
	b := make([]byte, 256)
	putU32(b, 0, statxBasicStats)
	putU32(b, 4, uint32(at.Blksize))
	putU32(b, 16, at.Nlink)
	putU32(b, 20, at.UID)
	putU32(b, 24, at.GID)
	putU16(b, 28, uint16(at.Mode))
	putU64(b, 32, at.Ino)
	putU64(b, 40, uint64(at.Size))
	putU64(b, 48, uint64(at.Blocks))
	for i, tm := range [4]int64{at.Atime.UnixNano(), 0, at.Ctime.UnixNano(), at.Mtime.UnixNano()} {
		if i == 1 {
			continue // no birth time (STATX_BTIME not in the mask)
		}
		putU64(b, 64+16*i, uint64(tm/1e9))
		putU32(b, 72+16*i, uint32(tm%1e9))
	}
	putU32(b, 128, uint32(at.Rdev>>8&0xfff|at.Rdev>>32&^0xfff))
	putU32(b, 132, uint32(at.Rdev&0xff|at.Rdev>>12&^0xff))
	putU32(b, 136, uint32(at.Dev>>8))
	putU32(b, 140, uint32(at.Dev&0xff))
	return b
}

// sysGetdents64 implements getdents64(2).
func sysGetdents64(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	count := int(min(a[2], maxRWCount))
	var out []byte
	err = f.ReadDir(t, func(d fs.Dirent, next int64) bool {
		reclen := (19 + len(d.Name) + 1 + 7) &^ 7
		if len(out)+reclen > count {
			return false
		}
		rec := make([]byte, reclen)
		putU64(rec, 0, d.Ino)
		putU64(rec, 8, uint64(next))
		putU16(rec, 16, uint16(reclen))
		rec[18] = d.DType
		copy(rec[19:], d.Name)
		out = append(out, rec...)
		return true
	})
	if err != nil {
		return 0, err
	}
	if len(out) == 0 && count < 24 {
		// Not even one entry fits (and there was one to return).
		var probe bool
		f.ReadDir(t, func(fs.Dirent, int64) bool { probe = true; return false })
		if probe {
			return 0, linuxerr.EINVAL
		}
	}
	return uintptr(len(out)), t.CopyOut(a[1], out)
}

// sysReadlinkat implements readlinkat(2).
func sysReadlinkat(t *task.Task, a *Args) (uintptr, error) {
	return readlinkAt(t, a[0], a[1], a[2], a[3])
}

// sysReadlink implements readlink(2).
func sysReadlink(t *task.Task, a *Args) (uintptr, error) {
	return readlinkAt(t, uintptr(atFdcwd&0xffffffff), a[0], a[1], a[2])
}

func readlinkAt(t *task.Task, dirfd, pathAddr, buf, size uintptr) (uintptr, error) {
	if int(size) <= 0 {
		return 0, linuxerr.EINVAL
	}
	start, path, err := pathAt(t, dirfd, pathAddr)
	if err != nil {
		return 0, err
	}
	var p fs.Path
	if path == "" {
		// An empty path reads the link an O_PATH descriptor is open on
		// (do_readlinkat's LOOKUP_EMPTY); anything else is ENOENT.
		if int32(dirfd) == atFdcwd {
			return 0, linuxerr.ENOENT
		}
		if p, err = fdPath(t, dirfd); err != nil {
			return 0, err
		}
		if _, ok := p.Node.(fs.Symlink); !ok {
			return 0, linuxerr.ENOENT
		}
	} else if p, err = task.Root.Lookup(t, start, path, 0); err != nil {
		return 0, err
	}
	l, ok := p.Node.(fs.Symlink)
	if !ok {
		return 0, linuxerr.EINVAL
	}
	fs.Accessed(p)
	t0, err := fs.ReadLink(l)
	if err != nil {
		return 0, err
	}
	target := []byte(t0)
	if uintptr(len(target)) > size {
		target = target[:size]
	}
	return uintptr(len(target)), t.CopyOut(buf, target)
}

// sysGetcwd implements getcwd(2): the path and its NUL, ERANGE if it does
// not fit, ENOENT if the directory was removed.
func sysGetcwd(t *task.Task, a *Args) (uintptr, error) {
	p, err := task.Root.PathOf(t.Proc.Cwd())
	if err != nil {
		return 0, err
	}
	p += "\x00"
	if uintptr(len(p)) > a[1] {
		return 0, linuxerr.ERANGE
	}
	return uintptr(len(p)), t.CopyOut(a[0], []byte(p))
}

// sysChdir implements chdir(2).
func sysChdir(t *task.Task, a *Args) (uintptr, error) {
	path, err := pathArg(t, a[0])
	if err != nil {
		return 0, err
	}
	p, err := task.Root.Lookup(t, t.Proc.Cwd(), path, fs.LookupFollow)
	if err != nil {
		return 0, err
	}
	if _, ok := p.Node.(fs.Dir); !ok {
		return 0, linuxerr.ENOTDIR
	}
	t.Proc.SetCwd(p)
	return 0, nil
}

// sysFchdir implements fchdir(2).
func sysFchdir(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if _, ok := f.Inode.(fs.Dir); !ok {
		return 0, linuxerr.ENOTDIR
	}
	t.Proc.SetCwd(f.Location())
	return 0, nil
}

// sysUmask implements umask(2).
func sysUmask(t *task.Task, a *Args) (uintptr, error) {
	return uintptr(t.Proc.Umask(uint32(a[0]), true)), nil
}

// fcntl(2) commands.
const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fGetlk        = 5
	fSetlk        = 6
	fSetlkw       = 7
	fDupfdCloexec = 1030
	fSetpipeSz    = 1031
	fGetpipeSz    = 1032
	fdCloexec     = 1
)

// sysFcntl implements fcntl(2) for descriptor flags, status flags,
// duplication, record locks (sys_lock.go) and pipe sizes.
func sysFcntl(t *task.Task, a *Args) (uintptr, error) {
	fds := t.Proc.FDs()
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	cmd := int32(a[1])
	if f.Flags()&fs.O_PATH != 0 && !pathFcntl(cmd) {
		return 0, linuxerr.EBADF
	}
	switch cmd {
	case fDupfd, fDupfdCloexec:
		if int32(a[2]) < 0 || int32(a[2]) >= fds.Limit {
			return 0, linuxerr.EINVAL
		}
		f.IncRef()
		fd, err := fds.Install(f, int32(a[2]), cmd == fDupfdCloexec)
		if err != nil {
			f.DecRef()
		}
		return uintptr(fd), err
	case fGetfd:
		ce, err := fds.Cloexec(int32(a[0]))
		if ce {
			return fdCloexec, err
		}
		return 0, err
	case fSetfd:
		return 0, fds.SetCloexec(int32(a[0]), a[2]&fdCloexec != 0)
	case fGetfl:
		return uintptr(f.Flags()), nil
	case fSetfl:
		f.SetStatusFlags(uint32(a[2]))
		return 0, nil
	case fGetlk, fSetlk, fSetlkw, fOfdGetlk, fOfdSetlk, fOfdSetlkw:
		return fcntlLock(t, int32(a[0]), f, cmd, a[2])
	case fGetpipeSz, fSetpipeSz:
		// pipe_fcntl: EBADF for anything but a pipe.
		p := fs.PipeOf(f)
		if p == nil {
			return 0, linuxerr.EBADF
		}
		if cmd == fGetpipeSz {
			return uintptr(p.Size()), nil
		}
		// The argument is an int; oyako's one user is root with every
		// capability, CAP_SYS_RESOURCE included, so pipe-max-size does
		// not bind it.
		n, err := p.SetSize(uint32(a[2]), true)
		return uintptr(n), err
	}
	return 0, linuxerr.EINVAL
}

// pathFcntl reports whether an O_PATH descriptor takes fcntl command cmd
// (fs/fcntl.c check_fcntl_cmd): the others are EBADF.
func pathFcntl(cmd int32) bool {
	switch cmd {
	case fDupfd, fDupfdCloexec, fGetfd, fSetfd, fGetfl:
		return true
	}
	return false
}

// close_range(2) flags (include/uapi/linux/close_range.h).
const (
	closeRangeUnshare = 1 << 1
	closeRangeCloexec = 1 << 2
)

// sysCloseRange implements close_range(2): it closes the open descriptors
// from first to last (or marks them close-on-exec with
// CLOSE_RANGE_CLOEXEC), each as close(2) would, POSIX locks included.
//
// CLOSE_RANGE_UNSHARE first gives the caller a private copy of its table
// when the table has other users (files_struct count > 1). oyako keeps one
// table per process and cannot share it between processes yet, so it is
// treated as unshared; its only other users are the caller's threads,
// which Linux would leave with the old table and which here see the range
// closed too. Once tables can be shared (CLONE_FILES when fork lands, or
// a table per task for threads), UNSHARE must, when the table has other
// users: copy it for the caller (fs/file.c dup_fd), leaving the range out
// unless CLOSE_RANGE_CLOEXEC is given (then copy everything and mark the
// range in the copy), make the copy the task's table, and drop the
// caller's reference to the old one. The files left out are not closed in
// the old table: its other users keep them, and it keeps its POSIX locks.
func sysCloseRange(t *task.Task, a *Args) (uintptr, error) {
	first, last, flags := uint32(a[0]), uint32(a[1]), uint32(a[2])
	if flags&^(closeRangeUnshare|closeRangeCloexec) != 0 || first > last {
		return 0, linuxerr.EINVAL
	}
	t.Proc.FDs().CloseRange(first, last, flags&closeRangeCloexec != 0)
	return 0, nil
}

// sysDup implements dup(2).
func sysDup(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	return installNew(t, f, false)
}

// sysDup2 implements dup2(2).
func sysDup2(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	if a[0] == a[1] {
		f.DecRef()
		return a[1], nil
	}
	if err := t.Proc.FDs().InstallAt(int32(a[1]), f, false); err != nil {
		f.DecRef()
		return 0, err
	}
	return a[1], nil
}

// sysDup3 implements dup3(2).
func sysDup3(t *task.Task, a *Args) (uintptr, error) {
	if uint32(a[2])&^fs.O_CLOEXEC != 0 || a[0] == a[1] {
		return 0, linuxerr.EINVAL
	}
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	if err := t.Proc.FDs().InstallAt(int32(a[1]), f, uint32(a[2])&fs.O_CLOEXEC != 0); err != nil {
		f.DecRef()
		return 0, err
	}
	return a[1], nil
}

// sysPipe2 implements pipe2(2).
func sysPipe2(t *task.Task, a *Args) (uintptr, error) {
	return pipe(t, a[0], uint32(a[1]))
}

// sysPipe implements pipe(2).
func sysPipe(t *task.Task, a *Args) (uintptr, error) {
	return pipe(t, a[0], 0)
}

func pipe(t *task.Task, addr uintptr, flags uint32) (uintptr, error) {
	if flags&^(fs.O_CLOEXEC|fs.O_NONBLOCK|fs.O_DIRECT) != 0 {
		return 0, linuxerr.EINVAL
	}
	// A write without readers raises SIGPIPE through the writer's
	// SigPipe method (fs.Pipe's default), which io_uring's RWF_NOSIGNAL
	// and its workers replace.
	r, w := fs.NewPipe(flags)
	return 0, installPair(t, r, w, flags&fs.O_CLOEXEC != 0, addr)
}

// installPair installs the new files a and b (pipe's ends, socketpair's
// sockets) at the lowest free descriptors and writes the two numbers to
// addr; on failure nothing stays installed and the files are dropped.
func installPair(t *task.Task, a, b *fs.File, cloexec bool, addr uintptr) error {
	fds := t.Proc.FDs()
	fda, err := fds.Install(a, 0, cloexec)
	if err != nil {
		a.DecRef()
		b.DecRef()
		return err
	}
	fdb, err := fds.Install(b, 0, cloexec)
	if err != nil {
		fds.Close(fda)
		b.DecRef()
		return err
	}
	var buf [8]byte
	putU32(buf[:], 0, uint32(fda))
	putU32(buf[:], 4, uint32(fdb))
	if err := t.CopyOut(addr, buf[:]); err != nil {
		fds.Close(fda)
		fds.Close(fdb)
		return err
	}
	return nil
}

// Generic ioctls (include/uapi/asm-generic/ioctls.h).
const (
	fionclex = 0x5450
	fioclex  = 0x5451
	fionbio  = 0x5421
)

// sysIoctl implements ioctl(2).
func sysIoctl(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if tty, ok := f.Ops().(*fs.TTY); ok {
		if ok, ret, err := t.TTYIoctl(tty, uint32(a[1]), a[2]); ok {
			return ret, err
		}
	}
	switch cmd := uint32(a[1]); cmd {
	case fioclex, fionclex:
		return 0, t.Proc.FDs().SetCloexec(int32(a[0]), cmd == fioclex)
	case fionbio:
		var b [4]byte
		if err := t.CopyIn(a[2], b[:]); err != nil {
			return 0, err
		}
		fl := f.Flags() &^ fs.O_NONBLOCK
		if b != [4]byte{} {
			fl |= fs.O_NONBLOCK
		}
		f.SetStatusFlags(fl)
		return 0, nil
	}
	return f.Ioctl(t, uint32(a[1]), a[2])
}

// access(2) modes.
const (
	rOK = 4
	wOK = 2
	xOK = 1
)

// sysAccess implements access(2).
func sysAccess(t *task.Task, a *Args) (uintptr, error) {
	return accessAt(t, uintptr(atFdcwd&0xffffffff), a[0], uint32(a[1]), 0)
}

// sysFaccessat implements faccessat(2).
func sysFaccessat(t *task.Task, a *Args) (uintptr, error) {
	return accessAt(t, a[0], a[1], uint32(a[2]), 0)
}

// sysFaccessat2 implements faccessat2(2).
func sysFaccessat2(t *task.Task, a *Args) (uintptr, error) {
	return accessAt(t, a[0], a[1], uint32(a[2]), uint32(a[3]))
}

// accessAt checks access as root does (do_faccessat): only execute
// permission can be missing (no execute bit at all on a non-directory, or
// a regular file on a noexec mount), and writing anything but a device,
// FIFO or socket on a read-only mount is EROFS.
func accessAt(t *task.Task, dirfd, pathAddr uintptr, mode, flags uint32) (uintptr, error) {
	if mode&^(rOK|wOK|xOK) != 0 || flags&^(atEaccess|atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, linuxerr.EINVAL
	}
	p, err := lookupAt(t, dirfd, pathAddr, flags)
	if err != nil {
		return 0, err
	}
	typ := p.Node.Attr().Mode & fs.S_IFMT
	if mode&xOK != 0 && typ == fs.S_IFREG && p.Mnt != nil && p.Mnt.NoExec() {
		return 0, linuxerr.EACCES
	}
	if mode&xOK != 0 && typ != fs.S_IFDIR && p.Node.Attr().Mode&0o111 == 0 {
		return 0, linuxerr.EACCES
	}
	switch typ {
	case fs.S_IFCHR, fs.S_IFBLK, fs.S_IFIFO, fs.S_IFSOCK:
	default:
		if mode&wOK != 0 && p.Mnt != nil && p.Mnt.ReadOnly() {
			return 0, linuxerr.EROFS
		}
	}
	return 0, nil
}
