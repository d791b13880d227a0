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

// preadv2 flags (RWF_*, include/uapi/linux/fs.h).
const (
	rwfHipri     = 0x1
	rwfDsync     = 0x2
	rwfSync      = 0x4
	rwfNowait    = 0x8
	rwfAppend    = 0x10
	rwfSupported = rwfHipri | rwfDsync | rwfSync | rwfNowait | rwfAppend
)

// rwData is a read or write request's arguments (struct io_rw).
type rwData struct {
	addr  uintptr
	len   int    // bytes, or iovecs for READV/WRITEV
	off   int64  // -1: the file position
	flags uint32 // RWF_*
	iov   []iovec
	total int
}

// prepRW is io_prep_rw: the I/O priority's class must be valid; for the
// fixed forms the buffer index and the range must lie in a registered
// buffer (EFAULT).
func prepRW(r *uring.Req, fixed, vectored bool) error {
	s := &r.SQE
	if class := s.Ioprio >> 13; class > 3 {
		return linuxerr.EINVAL
	}
	d := &rwData{addr: uintptr(s.Addr), len: int(s.Len), off: int64(s.Off), flags: s.OpFlags}
	if fixed {
		base, length, err := r.Ring.FixedBuffer(s.BufIndex)
		if err != nil {
			return err
		}
		if s.Addr < base || s.Addr+uint64(s.Len) > base+length || s.Addr+uint64(s.Len) < s.Addr {
			return linuxerr.EFAULT
		}
	} else if s.BufIndex != 0 && !r.BufferSelect() {
		return linuxerr.EINVAL
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

// checkRWFlags is kiocb_set_rw_flags: unknown RWF_* flags are
// EOPNOTSUPP; RWF_NOWAIT makes a request that would wait fail with
// EAGAIN instead of waiting.
func checkRWFlags(r *uring.Req, d *rwData) error {
	if d.flags&^rwfSupported != 0 {
		return linuxerr.EOPNOTSUPP
	}
	if d.flags&rwfNowait != 0 {
		r.NoRetry = true
	}
	return nil
}

// at returns the read or write function of a request at its offset: the
// file position for -1 or a stream, else the offset, advancing.
func (d *rwData) at(f *fs.File, t *task.Task, write bool) (func([]byte) (int, error), error) {
	if d.off < -1 {
		return nil, linuxerr.EINVAL
	}
	if d.off == -1 || f.IsStream() {
		if write {
			return func(p []byte) (int, error) { return f.Write(t, p) }, nil
		}
		return func(p []byte) (int, error) { return f.Read(t, p) }, nil
	}
	off := d.off
	if write {
		return func(p []byte) (int, error) {
			n, err := f.Pwrite(t, p, off)
			off += int64(n)
			return n, err
		}, nil
	}
	return func(p []byte) (int, error) {
		n, err := f.Pread(t, p, off)
		off += int64(n)
		return n, err
	}, nil
}

func issueRW(r *uring.Req, write, vectored bool) (int32, error) {
	d := r.Data.(*rwData)
	t := r.Task.(*task.Task)
	f := r.File
	if err := checkRWFlags(r, d); err != nil {
		return 0, err
	}
	if write && !f.Writable() || !write && !f.Readable() {
		return 0, linuxerr.EBADF
	}
	do, err := d.at(f, t, write)
	if err != nil {
		return 0, err
	}
	var n uintptr
	switch {
	case vectored && write:
		n, err = writevTo(t, d.iov, d.total, do)
	case vectored:
		n, err = readvFrom(t, d.iov, d.total, do)
	case write:
		n, err = writeFrom(t, d.addr, min(d.len, maxRWCount), do)
	default:
		n, err = readInto(t, d.addr, min(d.len, maxRWCount), f.IsStream(), do)
	}
	return int32(n), err
}

// shortRW reports a read or write that moved fewer bytes than asked as a
// failure for its link chain (__io_complete_rw_common).
func shortRW(r *uring.Req, res int32) bool {
	d := r.Data.(*rwData)
	want := d.len
	if d.iov != nil {
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
		uring.Register(o.op, &uring.Op{Name: o.name, NeedsFile: true, PollIn: !o.write, PollOut: o.write, Ioprio: true,
			Prep:   func(r *uring.Req) error { return prepRW(r, o.fix, o.vec) },
			Issue:  func(r *uring.Req) (int32, error) { return issueRW(r, o.write, o.vec) },
			Failed: shortRW,
		})
	}
}
