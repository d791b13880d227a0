package syscalls

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
	"oyako/uring"
)

// The io_uring read and write opcodes (io_uring/rw.c): READ, WRITE,
// READV, WRITEV, READ_FIXED and WRITE_FIXED, carried out with the code
// of read(2), pread64(2), readv(2) and their write counterparts.

// preadv2 flags (RWF_*, include/uapi/linux/fs.h), as Linux 6.18 has
// them.
const (
	rwfHipri     = 0x1
	rwfDsync     = 0x2
	rwfSync      = 0x4
	rwfNowait    = 0x8
	rwfAppend    = 0x10
	rwfNoappend  = 0x20
	rwfAtomic    = 0x40
	rwfDontcache = 0x80
	rwfNosignal  = 0x100
	rwfSupported = rwfHipri | rwfDsync | rwfSync | rwfNowait | rwfAppend | rwfNoappend | rwfAtomic | rwfDontcache | rwfNosignal
)

// rwData is a read or write request's arguments (struct io_rw).
type rwData struct {
	addr  uintptr
	len   int    // bytes, or iovecs for READV/WRITEV
	off   int64  // -1: the file position
	flags uint32 // RWF_*
	iov   []iovec
	total int
	// fixed: READ_FIXED or WRITE_FIXED, whose registered buffer is
	// looked up when first issued (imported).
	fixed, imported bool
	// group is the provided-buffer group of a READ or READV with
	// IOSQE_BUFFER_SELECT; got is how much the buffer it took holds.
	group uint16
	got   int
}

// prepRW is io_prep_rw: the I/O priority's class must be valid. Only the
// fixed forms look at buf_index (the others ignore it, as Linux does). A
// plain READ or WRITE keeps no state: its arguments are the SQE's, which
// the request holds a copy of (rwOf).
func prepRW(r *uring.Req, fixed, vectored bool) error {
	s := &r.SQE
	if class := s.Ioprio >> 13; class > 3 {
		return linuxerr.EINVAL
	}
	if !fixed && !vectored && !r.BufferSelect() {
		return nil
	}
	d := &rwData{}
	d.fromSQE(s, fixed)
	if r.BufferSelect() {
		// The group is in buf_index's place; a READV selects with one
		// iovec, whose length is the most to read
		// (io_iov_buffer_select_prep).
		d.group = s.BufIndex
		if vectored {
			if d.len != 1 {
				return linuxerr.EINVAL
			}
			iov, _, err := readIovecs(r.Submitter().(*task.Task), d.addr, 1)
			if err != nil {
				return err
			}
			d.len = int(min(iov[0].len, maxRWCount))
		}
		r.Data = d
		return nil
	}
	if vectored {
		// The iovecs are read at submission (io_prep_rwv imports them
		// then: IORING_FEAT_SUBMIT_STABLE).
		iov, total, err := readIovecs(r.Submitter().(*task.Task), d.addr, uintptr(d.len))
		if err != nil {
			return err
		}
		d.iov, d.total = iov, total
	}
	r.Data = d
	return nil
}

// fromSQE sets the arguments of a read or write from its SQE.
func (d *rwData) fromSQE(s *uring.SQE, fixed bool) {
	d.addr, d.len, d.off, d.flags, d.fixed = uintptr(s.Addr), int(s.Len), int64(s.Off), s.OpFlags, fixed
}

// rwOf returns the state of r, a read or write: what its Prep kept, or
// for a plain READ or WRITE, which keeps none, plain filled in from the
// SQE.
func rwOf(r *uring.Req, plain *rwData) *rwData {
	if d, ok := r.Data.(*rwData); ok {
		return d
	}
	plain.fromSQE(&r.SQE, false)
	return plain
}

// checkRWFlags is kiocb_set_rw_flags (rwFlags), then io_rw_init_file's
// refusal of RWF_HIPRI on a ring without IOPOLL. RWF_NOWAIT makes a
// request that would wait fail with EAGAIN.
func checkRWFlags(r *uring.Req, d *rwData, f *fs.File) error {
	nowait, err := rwFlags(d.flags, f)
	if err != nil {
		return err
	}
	if nowait {
		r.NoRetry = true
	}
	if d.flags&rwfHipri != 0 {
		return linuxerr.EINVAL
	}
	return nil
}

// rwFlags is kiocb_set_rw_flags for oyako's files: unknown flags are
// EOPNOTSUPP, and so are RWF_ATOMIC (no file here writes atomically:
// FMODE_CAN_ATOMIC_WRITE), RWF_DONTCACHE (no file system here has
// FOP_DONTCACHE) and RWF_NOWAIT on a regular file or a directory (tmpfs,
// which oyako's file systems are like, has no FMODE_NOWAIT); nowait
// reports RWF_NOWAIT on another file. RWF_DSYNC and RWF_SYNC ask nothing
// of memory file systems, RWF_HIPRI nothing of a file without polled
// I/O; RWF_APPEND, RWF_NOAPPEND and RWF_NOSIGNAL are carried out by at.
func rwFlags(flags uint32, f *fs.File) (nowait bool, err error) {
	if flags&^rwfSupported != 0 || flags&(rwfAtomic|rwfDontcache) != 0 {
		return false, linuxerr.EOPNOTSUPP
	}
	if flags&rwfNowait != 0 {
		switch f.Inode.(type) {
		case fs.Regular, fs.Dir:
			return false, linuxerr.EOPNOTSUPP
		}
		return true, nil
	}
	return false, nil
}

// noSigPipe is a task whose writes to a pipe or socket without readers
// raise no SIGPIPE (RWF_NOSIGNAL).
type noSigPipe struct{ *task.Task }

func (noSigPipe) SigPipe() {}

// rwTarget is where a read or write goes (at): its file, its context
// and its offset, which advances.
type rwTarget struct {
	f     *fs.File
	t     *task.Task
	c     fs.Ctx // the writer (noSigPipe under RWF_NOSIGNAL)
	off   int64  // -1: the file position
	write bool
	app   bool
}

// at returns where a read or write of d goes on f: the file position for
// -1 or a stream, else the offset, advancing. A write appends on an
// O_APPEND file or with RWF_APPEND, unless RWF_NOAPPEND
// (kiocb_set_rw_flags: IOCB_APPEND). The caller passes the target's do
// method to the transfer (a value, not a closure made here, so that
// nothing is allocated).
func (d *rwData) at(f *fs.File, t *task.Task, write bool) (rwTarget, error) {
	if d.off < -1 {
		return rwTarget{}, linuxerr.EINVAL
	}
	x := rwTarget{f: f, t: t, c: t, off: d.off, write: write}
	if f.IsStream() {
		x.off = -1
	}
	if write {
		if d.flags&rwfNosignal != 0 {
			x.c = noSigPipe{t}
		}
		x.app = f.Flags()&fs.O_APPEND != 0 || d.flags&rwfAppend != 0
		if d.flags&rwfNoappend != 0 {
			x.app = false
		}
	}
	return x, nil
}

// do reads or writes p at the target.
func (x *rwTarget) do(p []byte) (int, error) {
	if x.write {
		n, err := x.f.WriteMode(x.c, p, x.off, x.app)
		if x.off != -1 {
			x.off += int64(n)
		}
		return n, err
	}
	if x.off == -1 {
		return x.f.Read(x.t, p)
	}
	n, err := x.f.Pread(x.t, p, x.off)
	x.off += int64(n)
	return n, err
}

// importFixed looks up a fixed request's registered buffer when it is
// first issued, as Linux 6.18 does (io_read_fixed, io_init_rw_fixed,
// io_import_reg_buf): EFAULT for an index out of range or an empty slot,
// and for a range that is not inside the buffer or longer than
// MAX_RW_COUNT (validate_fixed_range). The request holds the buffer
// until it completes.
func importFixed(r *uring.Req, d *rwData) error {
	if !d.fixed || d.imported {
		return nil
	}
	s := &r.SQE
	base, length, err := r.Ring.FixedBuffer(r, s.BufIndex)
	if err != nil {
		return err
	}
	end := s.Addr + uint64(s.Len)
	if end < s.Addr || s.Addr < base || end > base+length || s.Len > maxRWCount {
		return linuxerr.EFAULT
	}
	d.imported = true
	return nil
}

func issueRW(r *uring.Req, write, vectored bool) (int32, error) {
	var plain rwData
	d := rwOf(r, &plain)
	t := r.Task.(*task.Task)
	f := r.File
	if err := importFixed(r, d); err != nil {
		return 0, err
	}
	if write && !f.Writable() || !write && !f.Readable() {
		return 0, linuxerr.EBADF
	}
	if err := checkRWFlags(r, d, f); err != nil {
		return 0, err
	}
	if write && !vectored && d.off >= -1 {
		if n, ok, err := discardWrite(t, f, d.addr, min(d.len, maxRWCount)); ok {
			return int32(n), err
		}
	}
	x, err := d.at(f, t, write)
	if err != nil {
		return 0, err
	}
	if r.BufferSelect() {
		return readSelected(r, d, t, f, x.do)
	}
	var n uintptr
	switch {
	case vectored && write:
		n, err = writevTo(t, d.iov, d.total, x.do)
	case vectored:
		n, err = readvFrom(t, d.iov, d.total, x.do)
	case write:
		n, err = writeFrom(t, d.addr, min(d.len, maxRWCount), x.do)
	default:
		n, err = readInto(t, d.addr, min(d.len, maxRWCount), f.IsStream(), x.do)
	}
	return int32(n), err
}

// readSelected is a READ or READV with IOSQE_BUFFER_SELECT (io_read
// with io_buffer_select): it takes a buffer of the request's group for up
// to len bytes (the whole buffer for 0; -ENOBUFS when the group has
// none), reads into it and names it in the CQE's flags. A read that
// would wait gives the buffer back until it is issued again
// (io_kbuf_recycle); any other end uses it up, end of file and errors
// included (io_put_kbuf).
func readSelected(r *uring.Req, d *rwData, t *task.Task, f *fs.File, do func([]byte) (int, error)) (int32, error) {
	sel, err := r.Ring.SelectBuffer(t, d.group, uint32(min(d.len, maxRWCount)))
	if err != nil {
		return 0, err
	}
	n, err := readInto(t, uintptr(sel.Addr), int(sel.Len), f.IsStream(), do)
	if linuxerr.Equals(linuxerr.EAGAIN, err) && t.WouldBlock() && !r.NoRetry {
		sel.Recycle()
		return 0, err
	}
	d.got = int(sel.Len)
	r.CFlags = sel.Commit()
	return int32(n), err
}

// shortRW reports a read or write that moved fewer bytes than asked as a
// failure for its link chain (__io_complete_rw_common).
func shortRW(r *uring.Req, res int32) bool {
	d, ok := r.Data.(*rwData)
	if !ok {
		return int(res) != int(r.SQE.Len) // a plain READ or WRITE
	}
	want := d.len
	switch {
	case r.BufferSelect():
		want = d.got
	case d.iov != nil:
		want = d.total
	}
	return int(res) != want
}

func init() {
	for _, o := range []struct {
		op              uint8
		name            string
		write, vec, fix bool
	}{
		{uring.OpRead, "READ", false, false, false},
		{uring.OpWrite, "WRITE", true, false, false},
		{uring.OpReadv, "READV", false, true, false},
		{uring.OpWritev, "WRITEV", true, true, false},
		{uring.OpReadFixed, "READ_FIXED", false, false, true},
		{uring.OpWriteFixed, "WRITE_FIXED", true, false, true},
	} {
		o := o
		uring.Register(o.op, &uring.Op{Name: o.name, NeedsFile: true, PollIn: !o.write, PollOut: o.write, Ioprio: true, Plain: true,
			BufferSelect: !o.write && !o.fix, // READ and READV (io_issue_defs' buffer_select)
			Prep:         func(r *uring.Req) error { return prepRW(r, o.fix, o.vec) },
			Issue:        func(r *uring.Req) (int32, error) { return issueRW(r, o.write, o.vec) },
			Failed:       shortRW,
		})
	}
}
