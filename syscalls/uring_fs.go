package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/epoll"
	"oyako/fs"
	"oyako/uring"
)

// The io_uring file-system opcodes (io_uring/openclose.c, fs.c,
// statx.c, sync.c, advise.c, splice.c, epoll.c): OPENAT, OPENAT2,
// CLOSE, STATX, RENAMEAT, UNLINKAT, MKDIRAT, SYMLINKAT, LINKAT, FSYNC,
// SYNC_FILE_RANGE, FALLOCATE, FADVISE, MADVISE, SPLICE, TEE and
// EPOLL_CTL, each carried out with the code of the system call it is.
// Paths, open_how and epoll events are read at submission, as Linux's
// preps read them (getname); the rest when the request is issued.

// pathData is a request's paths and numbers: the directory descriptors
// and paths of the *at calls, and their flags and mode.
type pathData struct {
	dfd, newDfd   uintptr
	path, newPath string
	flags, mode   uint32
}

// prepPaths reads the paths at addr and (when addr2 is set) newAddr as
// the submitter: EFAULT or ENAMETOOLONG, as getname. A request that
// names no file may not ask for a fixed one (EBADF, as the *_prep
// functions refuse REQ_F_FIXED_FILE).
func prepPaths(r *uring.Req, addr, newAddr uint64, two bool) (*pathData, error) {
	if r.Fixed {
		return nil, linuxerr.EBADF
	}
	t := prepTask(r)
	d := &pathData{dfd: uintptr(uint32(r.SQE.Fd))}
	var err error
	if two {
		d.path, d.newPath, err = pathArgs(t, uintptr(addr), uintptr(newAddr))
	} else {
		d.path, err = pathArg(t, uintptr(addr))
	}
	return d, err
}

// openData is OPENAT's and OPENAT2's arguments (struct io_open).
type openData struct {
	dfd  uintptr
	path string
	how  openHow
	two  bool // OPENAT2: the open_how is checked, not filtered
	slot uint32
}

// prepOpen is io_openat_prep and io_openat2_prep: OPENAT's flags and
// mode (sqe->open_flags, len), or OPENAT2's struct open_how (addr2, its
// size in len: EINVAL below OPEN_HOW_SIZE_VER0, E2BIG for a larger one
// with non-zero bytes past it); no buffer index (EINVAL); then
// __io_openat_prep: no fixed file (EBADF), the path, and a slot
// (file_index) excludes O_CLOEXEC (EINVAL).
func prepOpen(r *uring.Req, two bool) error {
	s := &r.SQE
	d := &openData{dfd: uintptr(uint32(s.Fd)), two: two, slot: uint32(s.FileIndex)}
	if two {
		if s.Len < openHowSizeVer0 {
			return linuxerr.EINVAL
		}
		how, err := copyOpenHow(prepTask(r), uintptr(s.Off), uintptr(s.Len))
		if err != nil {
			return err
		}
		d.how = how
	} else {
		d.how = openHow{flags: uint64(s.OpFlags), mode: uint64(s.Len)}
	}
	if s.BufIndex != 0 {
		return linuxerr.EINVAL
	}
	p, err := prepPaths(r, s.Addr, 0, false)
	if err != nil {
		return err
	}
	d.path = p.path
	if d.slot != 0 && d.how.flags&fs.O_CLOEXEC != 0 {
		return linuxerr.EINVAL
	}
	r.Data = d
	return nil
}

// issueOpen is io_openat2: openat2's checks of the open_how, room for a
// descriptor (EMFILE), the open, and the descriptor or the slot.
func issueOpen(r *uring.Req) (int32, error) {
	d := r.Data.(*openData)
	t := ioTask(r)
	if d.two {
		if err := checkOpenHow(d.how); err != nil {
			return 0, err
		}
	}
	if d.slot == 0 {
		if err := t.Proc.FDs().Room(); err != nil {
			return 0, err
		}
	}
	f, err := openPath(t, d.dfd, d.path, uint32(d.how.flags), uint32(d.how.mode), uint32(d.how.resolve))
	if err != nil {
		return 0, err
	}
	if d.slot != 0 {
		return r.Ring.InstallFixed(f, d.slot)
	}
	fd, err := installOpened(t, f, uint32(d.how.flags))
	return int32(fd), err
}

// prepClose is io_close_prep: only sqe->fd or a slot (file_index), not
// both (EINVAL); no fixed file (EBADF).
func prepClose(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(s.Off, s.Addr, uint64(s.Len), uint64(s.OpFlags), uint64(s.BufIndex)); err != nil {
		return err
	}
	if r.Fixed {
		return linuxerr.EBADF
	}
	if s.FileIndex != 0 && s.Fd != 0 {
		return linuxerr.EINVAL
	}
	return nil
}

// issueClose is io_close: a slot is emptied; a descriptor is closed,
// unless it is a ring's (EBADF: a ring cannot close itself).
func issueClose(r *uring.Req) (int32, error) {
	s := &r.SQE
	if s.FileIndex != 0 {
		return 0, r.Ring.CloseFixed(uint32(s.FileIndex) - 1)
	}
	t := ioTask(r)
	f, err := t.Proc.FDs().Get(s.Fd)
	if err != nil {
		return 0, linuxerr.EBADF
	}
	ring := ringOf(f) != nil
	f.DecRef()
	if ring {
		return 0, linuxerr.EBADF
	}
	return 0, t.Proc.FDs().Close(s.Fd)
}

// statxData is STATX's arguments.
type statxData struct {
	*pathData
	mask uint32
	buf  uintptr
}

// prepStatx is io_statx_prep: dfd, the path (addr), the mask (len), the
// buffer (addr2) and the flags.
func prepStatx(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(uint64(s.BufIndex), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	p, err := prepPaths(r, s.Addr, 0, false)
	if err != nil {
		return err
	}
	p.flags = s.OpFlags
	r.Data = &statxData{p, s.Len, uintptr(s.Off)}
	return nil
}

// issueStatx is do_statx.
func issueStatx(r *uring.Req) (int32, error) {
	d := r.Data.(*statxData)
	if err := checkStatx(d.flags, d.mask); err != nil {
		return 0, err
	}
	t := ioTask(r)
	p, err := lookupPath(t, d.dfd, d.path, d.flags)
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(d.buf, statxBytes(p.Node.Attr()))
}

// prepMkdirat is io_mkdirat_prep: dfd, the path (addr), the mode (len).
func prepMkdirat(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(uint64(s.OpFlags), uint64(s.BufIndex), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	p, err := prepPaths(r, s.Addr, 0, false)
	if err != nil {
		return err
	}
	p.mode = s.Len
	r.Data = p
	return nil
}

// prepSymlinkat is io_symlinkat_prep: the target (addr), the new
// directory (fd) and path (addr2).
func prepSymlinkat(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(uint64(s.Len), uint64(s.OpFlags), uint64(s.BufIndex), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	p, err := prepPaths(r, s.Addr, s.Off, true)
	if err != nil {
		return err
	}
	r.Data = p
	return nil
}

// prepTwoPaths is io_renameat_prep and io_linkat_prep: the old
// directory (fd) and path (addr), the new directory (len) and path
// (addr2), the flags.
func prepTwoPaths(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(uint64(s.BufIndex), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	p, err := prepPaths(r, s.Addr, s.Off, true)
	if err != nil {
		return err
	}
	p.newDfd, p.flags = uintptr(s.Len), s.OpFlags
	r.Data = p
	return nil
}

// prepUnlinkat is io_unlinkat_prep: dfd, the path (addr), the flags:
// AT_REMOVEDIR only (EINVAL).
func prepUnlinkat(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(s.Off, uint64(s.Len), uint64(s.BufIndex), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	p, err := prepPaths(r, s.Addr, 0, false)
	if err != nil {
		return err
	}
	if s.OpFlags&^atRemovedir != 0 {
		return linuxerr.EINVAL
	}
	p.flags = s.OpFlags
	r.Data = p
	return nil
}

// pathOp registers an opcode that is a path call on its pathData.
func pathOp(op uint8, name string, prep func(*uring.Req) error, do func(r *uring.Req, d *pathData) error) {
	uring.Register(op, &uring.Op{Name: name, Prep: prep, Issue: func(r *uring.Req) (int32, error) {
		return 0, do(r, r.Data.(*pathData))
	}})
}

// prepSync is io_fsync_prep, io_sfr_prep and io_fallocate_prep: the
// fields each takes, and FSYNC's flags IORING_FSYNC_DATASYNC only
// (EINVAL).
func prepSync(r *uring.Req) error {
	s := &r.SQE
	switch s.Opcode {
	case uring.OpFsync:
		if err := uring.NoFields(s.Addr, uint64(s.BufIndex), uint64(uint32(s.FileIndex))); err != nil {
			return err
		}
		if s.OpFlags&^fsyncDatasync != 0 {
			return linuxerr.EINVAL
		}
	case uring.OpSyncFileRange:
		return uring.NoFields(s.Addr, uint64(s.BufIndex), uint64(uint32(s.FileIndex)))
	case uring.OpFallocate:
		return uring.NoFields(uint64(s.BufIndex), uint64(s.OpFlags), uint64(uint32(s.FileIndex)))
	}
	return nil
}

// fsyncDatasync is IORING_FSYNC_DATASYNC.
const fsyncDatasync = 1

// prepAdvise is io_fadvise_prep and io_madvise_prep: the length is
// sqe->off (64 bits) or, when that is 0, sqe->len for MADVISE; FADVISE's
// is addr, or len.
func prepAdvise(r *uring.Req) error {
	s := &r.SQE
	return uring.NoFields(uint64(s.BufIndex), uint64(uint32(s.FileIndex)))
}

// adviseLen is the length an advice request names.
func adviseLen(first uint64, s *uring.SQE) uint64 {
	if first != 0 {
		return first
	}
	return uint64(s.Len)
}

// spliceFdInFixed is SPLICE_F_FD_IN_FIXED: splice_fd_in is a slot.
const spliceFdInFixed = 1 << 31

// prepSplice is io_splice_prep and io_tee_prep: the flags are
// SPLICE_F_* and SPLICE_F_FD_IN_FIXED (EINVAL); TEE takes no offsets
// (EINVAL).
func prepSplice(r *uring.Req) error {
	s := &r.SQE
	if s.Opcode == uring.OpTee && (s.Addr != 0 || s.Off != 0) {
		return linuxerr.EINVAL
	}
	if s.OpFlags&^(fs.SPLICE_F_ALL|spliceFdInFixed) != 0 {
		return linuxerr.EINVAL
	}
	return nil
}

// issueSplice is io_splice and io_tee: the input is splice_fd_in, a
// descriptor or a slot (EBADF), the output the request's file; an offset
// of -1 is none; nothing is done for a length of 0.
func issueSplice(r *uring.Req) (int32, error) {
	s := &r.SQE
	var in *fs.File
	var err error
	if s.OpFlags&spliceFdInFixed != 0 {
		in, err = r.Ring.FixedFile(s.FileIndex)
	} else {
		in, err = ioTask(r).Proc.FDs().Get(s.FileIndex)
	}
	if err != nil {
		return 0, linuxerr.EBADF
	}
	defer in.DecRef()
	if s.Len == 0 {
		return 0, nil
	}
	flags := s.OpFlags &^ spliceFdInFixed
	if s.Opcode == uring.OpTee {
		n, err := fs.Tee(ioTask(r), in, r.File, uint64(s.Len), flags)
		return int32(n), err
	}
	offIn, offOut := int64(s.Addr), int64(s.Off)
	var pin, pout *int64
	if offIn != -1 {
		pin = &offIn
	}
	if offOut != -1 {
		pout = &offOut
	}
	n, err := fs.Splice(ioTask(r), in, pin, r.File, pout, uint64(s.Len), flags)
	return int32(n), err
}

// epollData is EPOLL_CTL's arguments.
type epollData struct {
	op     int
	events uint32
	data   uint64
}

// prepEpollCtl is io_epoll_ctl_prep: epfd (fd), the op (len), the
// descriptor (off), and the event (addr), read now for every op but
// EPOLL_CTL_DEL (EFAULT).
func prepEpollCtl(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(uint64(s.BufIndex), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	d := &epollData{op: int(int32(s.Len))}
	if d.op != epoll.CtlDel {
		var b [12]byte
		if err := prepTask(r).CopyIn(uintptr(s.Addr), b[:]); err != nil {
			return err
		}
		d.events, d.data = binary.LittleEndian.Uint32(b[:]), binary.LittleEndian.Uint64(b[4:])
	}
	r.Data = d
	return nil
}

func init() {
	uring.RingOf = ringOf
	uring.Register(uring.OpOpenat, &uring.Op{Name: "OPENAT",
		Prep: func(r *uring.Req) error { return prepOpen(r, false) }, Issue: issueOpen})
	uring.Register(uring.OpOpenat2, &uring.Op{Name: "OPENAT2",
		Prep: func(r *uring.Req) error { return prepOpen(r, true) }, Issue: issueOpen})
	uring.Register(uring.OpClose, &uring.Op{Name: "CLOSE", Prep: prepClose, Issue: issueClose})
	uring.Register(uring.OpStatx, &uring.Op{Name: "STATX", Prep: prepStatx, Issue: issueStatx})
	pathOp(uring.OpMkdirat, "MKDIRAT", prepMkdirat, func(r *uring.Req, d *pathData) error {
		return mkdirPath(ioTask(r), d.dfd, d.path, d.mode)
	})
	pathOp(uring.OpSymlinkat, "SYMLINKAT", prepSymlinkat, func(r *uring.Req, d *pathData) error {
		return symlinkPath(ioTask(r), d.path, d.dfd, d.newPath)
	})
	pathOp(uring.OpRenameat, "RENAMEAT", prepTwoPaths, func(r *uring.Req, d *pathData) error {
		return renamePath(ioTask(r), d.dfd, d.path, d.newDfd, d.newPath, d.flags)
	})
	pathOp(uring.OpLinkat, "LINKAT", prepTwoPaths, func(r *uring.Req, d *pathData) error {
		return linkPath(ioTask(r), d.dfd, d.path, d.newDfd, d.newPath, d.flags)
	})
	pathOp(uring.OpUnlinkat, "UNLINKAT", prepUnlinkat, func(r *uring.Req, d *pathData) error {
		return unlinkPath(ioTask(r), d.dfd, d.path, d.flags)
	})
	uring.Register(uring.OpFsync, &uring.Op{Name: "FSYNC", NeedsFile: true, Prep: prepSync,
		Issue: func(r *uring.Req) (int32, error) { return 0, fs.Fsync(r.File) }})
	uring.Register(uring.OpSyncFileRange, &uring.Op{Name: "SYNC_FILE_RANGE", NeedsFile: true, Prep: prepSync,
		Issue: func(r *uring.Req) (int32, error) {
			return 0, fs.SyncFileRange(r.File, int64(r.SQE.Off), int64(r.SQE.Len), r.SQE.OpFlags)
		}})
	uring.Register(uring.OpFallocate, &uring.Op{Name: "FALLOCATE", NeedsFile: true, Prep: prepSync,
		Issue: func(r *uring.Req) (int32, error) {
			return 0, fs.Fallocate(r.File, r.SQE.Len, int64(r.SQE.Off), int64(r.SQE.Addr))
		}})
	uring.Register(uring.OpFadvise, &uring.Op{Name: "FADVISE", NeedsFile: true, Prep: prepAdvise,
		Issue: func(r *uring.Req) (int32, error) {
			s := &r.SQE
			return 0, fs.Fadvise(r.File, int64(s.Off), int64(adviseLen(s.Addr, s)), int32(s.OpFlags))
		}})
	uring.Register(uring.OpMadvise, &uring.Op{Name: "MADVISE", Prep: prepAdvise,
		Issue: func(r *uring.Req) (int32, error) {
			s := &r.SQE
			return 0, madvise(ioTask(r), uintptr(s.Addr), uintptr(adviseLen(s.Off, s)), int32(s.OpFlags))
		}})
	uring.Register(uring.OpSplice, &uring.Op{Name: "SPLICE", NeedsFile: true, Prep: prepSplice, Issue: issueSplice})
	uring.Register(uring.OpTee, &uring.Op{Name: "TEE", NeedsFile: true, Prep: prepSplice, Issue: issueSplice})
	uring.Register(uring.OpEpollCtl, &uring.Op{Name: "EPOLL_CTL", Prep: prepEpollCtl,
		Issue: func(r *uring.Req) (int32, error) {
			d := r.Data.(*epollData)
			return 0, epollCtl(ioTask(r), uintptr(uint32(r.SQE.Fd)), d.op, uintptr(r.SQE.Off), d.events, d.data)
		}})
}
