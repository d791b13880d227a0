package fs

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// splice(2), tee(2), sendfile(2) and copy_file_range(2) (fs/splice.c,
// fs/read_write.c). oyako has no page cache to lend pages from, so data
// moves between a file and a pipe through the pipe's own pages, and
// between two files through a kernel buffer the size of Linux's internal
// splice pipe; pipe-to-pipe splices and tee move or share pipe buffers
// without copying bytes.

// splice(2) flags (include/linux/splice.h).
const (
	SPLICE_F_MOVE     = 0x1 // a hint: pages are copied
	SPLICE_F_NONBLOCK = 0x2 // the pipe side does not block
	SPLICE_F_MORE     = 0x4 // a hint for sockets
	SPLICE_F_GIFT     = 0x8 // vmsplice only
	SPLICE_F_ALL      = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT
)

// maxRWCount is MAX_RW_COUNT: one transfer moves at most this much.
const maxRWCount = 0x7ffff000

// Splicer is implemented by FileOps that data can be spliced out of or
// into: Linux's splice_read and splice_write file operations. Regular files
// have both; FileOps without this interface have neither, and splice(2)
// and sendfile(2) fail on them with EINVAL.
type Splicer interface {
	Splice() (read, write bool)
}

// SpliceReader is implemented by FileOps whose splice_read honours
// SPLICE_F_NONBLOCK itself (a socket's: unix_stream_splice_read reads
// with MSG_DONTWAIT then).
type SpliceReader interface {
	SpliceRead(c Ctx, f *File, p []byte, nonblock bool) (int, error)
}

// spliceable reports whether f has splice_read and splice_write.
func (f *File) spliceable() (read, write bool) {
	if _, ok := f.Inode.(Regular); ok && f.ops == nil {
		return true, true
	}
	if s, ok := f.ops.(Splicer); ok {
		return s.Splice()
	}
	return false, false
}

func (f *File) canSpliceRead() bool {
	r, _ := f.spliceable()
	return r
}

func (f *File) canSpliceWrite() bool {
	_, w := f.spliceable()
	return w
}

// pos and setPos read and set the file position, which splice and
// sendfile use (without holding it across the transfer, as Linux).
func (f *File) pos() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.off
}

func (f *File) setPos(off int64) {
	if f.IsStream() {
		return
	}
	f.mu.Lock()
	f.off = off
	f.mu.Unlock()
}

// rwVerify is rw_verify_area's range check: a count that is negative as
// ssize_t, a negative position or a range that overflows loff_t is EINVAL.
func rwVerify(pos int64, n uint64) error {
	if int64(n) < 0 || pos < 0 || pos+int64(n) < 0 {
		return linuxerr.EINVAL
	}
	return nil
}

func clampCount(n uint64) int { return int(min(n, maxRWCount)) }

// readFull reads p at off from a file with a position until p is full or
// the file ends (a regular file's read may stop short of p only at end of
// file).
func (f *File) readFull(c Ctx, p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		k, err := f.readAt(c, p[done:], off+int64(done))
		done += k
		if err != nil || k == 0 {
			return done, err
		}
	}
	return done, nil
}

// spliceToPipe reads up to n bytes from f at *pos into the pipe
// (splice_file_to_pipe) and advances *pos. Files with a position fill
// buffers cut at their page boundaries, as the page cache's splice_read
// does; streams are read once, as copy_splice_read does.
func spliceToPipe(c Ctx, f *File, pos *int64, p *Pipe, n uint64, nonblock bool) (int, error) {
	stream := f.IsStream()
	pageOff := 0
	if !stream {
		pageOff = int(*pos % PageSize)
	}
	k, err := p.spliceIn(c, clampCount(n), pageOff, nonblock, func(b []byte) (int, error) {
		if !f.canSpliceRead() {
			return 0, linuxerr.EINVAL
		}
		if sr, ok := f.ops.(SpliceReader); ok {
			return sr.SpliceRead(c, f, b, nonblock)
		}
		if stream {
			return f.readAt(c, b, 0)
		}
		return f.readFull(c, b, *pos)
	})
	if !stream {
		*pos += int64(k)
	}
	return k, err
}

// spliceFromPipe writes up to n bytes from the pipe to f at *pos
// (iter_file_splice_write) and advances *pos.
func spliceFromPipe(c Ctx, p *Pipe, f *File, pos *int64, n uint64, nonblock bool) (int, error) {
	if !f.canSpliceWrite() {
		return 0, linuxerr.EINVAL
	}
	stream := f.IsStream()
	return p.spliceOut(c, clampCount(n), nonblock, func(b []byte) (int, error) {
		k, err := f.writeAt(c, b, *pos)
		if !stream {
			*pos += int64(k)
		}
		return k, err
	})
}

// Splice is do_splice: it moves up to n bytes from in to out, one of which
// must be a pipe. offIn and offOut, when not nil, give the position in a
// file that is not a pipe and are advanced instead of the file's own
// position. flags are SPLICE_F_*; SPLICE_F_NONBLOCK, or O_NONBLOCK on a
// pipe end, makes the pipe side non-blocking.
func Splice(c Ctx, in *File, offIn *int64, out *File, offOut *int64, n uint64, flags uint32) (int, error) {
	ip, op := PipeOf(in), PipeOf(out)
	if ip != nil && offIn != nil || op != nil && offOut != nil {
		return 0, linuxerr.ESPIPE
	}
	if !in.Readable() || !out.Writable() {
		return 0, linuxerr.EBADF
	}
	nonblock := flags&SPLICE_F_NONBLOCK != 0
	switch {
	case ip != nil && op != nil:
		if ip == op {
			return 0, linuxerr.EINVAL
		}
		nonblock = nonblock || (in.Flags()|out.Flags())&O_NONBLOCK != 0
		return splicePipes(c, ip, op, clampCount(n), nonblock, false)
	case ip != nil:
		pos, err := startPos(out, offOut)
		if err != nil {
			return 0, err
		}
		if out.Flags()&O_APPEND != 0 {
			return 0, linuxerr.EINVAL
		}
		if err := rwVerify(pos, n); err != nil {
			return 0, err
		}
		nonblock = nonblock || in.Flags()&O_NONBLOCK != 0
		k, err := spliceFromPipe(c, ip, out, &pos, n, nonblock)
		endPos(out, offOut, pos)
		return k, err
	case op != nil:
		pos, err := startPos(in, offIn)
		if err != nil {
			return 0, err
		}
		if err := rwVerify(pos, n); err != nil {
			return 0, err
		}
		nonblock = nonblock || out.Flags()&O_NONBLOCK != 0
		k, err := spliceToPipe(c, in, &pos, op, n, nonblock)
		endPos(in, offIn, pos)
		return k, err
	}
	return 0, linuxerr.EINVAL
}

// startPos is where a splice starts in f: *off (EINVAL for a file without
// positioned reads and writes) or the file position.
func startPos(f *File, off *int64) (int64, error) {
	if off == nil {
		return f.pos(), nil
	}
	if f.IsStream() {
		return 0, linuxerr.EINVAL
	}
	return *off, nil
}

// endPos stores where a splice ended: in *off if given, else as the file
// position.
func endPos(f *File, off *int64, pos int64) {
	if off != nil {
		*off = pos
	} else {
		f.setPos(pos)
	}
}

// Tee is do_tee: it duplicates up to n bytes from the pipe in to the pipe
// out without consuming them.
func Tee(c Ctx, in, out *File, n uint64, flags uint32) (int, error) {
	if !in.Readable() || !out.Writable() {
		return 0, linuxerr.EBADF
	}
	ip, op := PipeOf(in), PipeOf(out)
	if ip == nil || op == nil || ip == op {
		return 0, linuxerr.EINVAL
	}
	nonblock := flags&SPLICE_F_NONBLOCK != 0 || (in.Flags()|out.Flags())&O_NONBLOCK != 0
	return splicePipes(c, ip, op, clampCount(n), nonblock, true)
}

// Sendfile is do_sendfile: it copies up to n bytes from in, at *off or at
// its position, to out. out is nil when its descriptor was bad: Linux
// checks in and the range first, then reports that EBADF.
func Sendfile(c Ctx, out, in *File, off *int64, n uint64) (int, error) {
	if !in.Readable() {
		return 0, linuxerr.EBADF
	}
	var pos int64
	if off == nil {
		pos = in.pos()
	} else {
		if in.IsStream() {
			return 0, linuxerr.ESPIPE
		}
		pos = *off
	}
	if err := rwVerify(pos, n); err != nil {
		return 0, err
	}
	n = min(n, maxRWCount)
	if out == nil || !out.Writable() {
		return 0, linuxerr.EBADF
	}
	var k int
	var err error
	outPos := out.pos()
	if op := PipeOf(out); op != nil {
		k, err = spliceToPipe(c, in, &pos, op, n, out.Flags()&O_NONBLOCK != 0)
	} else {
		if err := rwVerify(outPos, n); err != nil {
			return 0, err
		}
		k, err = spliceDirect(c, in, &pos, out, &outPos, n)
	}
	if k > 0 {
		out.setPos(outPos)
		endPos(in, off, pos)
	}
	return k, err
}

// spliceDirect moves up to n bytes between two files that are not pipes
// (do_splice_direct), through a kernel buffer the size of the pipe Linux
// uses for this, and advances *pos and *opos by what was written.
func spliceDirect(c Ctx, in *File, pos *int64, out *File, opos *int64, n uint64) (int, error) {
	if out.Flags()&O_APPEND != 0 || in.IsStream() {
		return 0, linuxerr.EINVAL
	}
	total := 0
	var buf []byte
	for uint64(total) < n {
		if !in.canSpliceRead() {
			return partialErr(total, linuxerr.EINVAL)
		}
		if buf == nil {
			buf = make([]byte, min(n, PipeBufSize))
		}
		k, err := in.readFull(c, buf[:min(n-uint64(total), uint64(len(buf)))], *pos)
		if k == 0 {
			return partialErr(total, err)
		}
		if !out.canSpliceWrite() {
			return partialErr(total, linuxerr.EINVAL)
		}
		w, err := out.writeAt(c, buf[:k], *opos)
		*pos += int64(w)
		if !out.IsStream() {
			*opos += int64(w)
		}
		total += w
		if err != nil || w < k {
			return partialErr(total, err)
		}
	}
	return total, nil
}

// partialErr is the result of a transfer that moved done bytes and then
// failed with err (possibly nil): the count if any byte moved.
func partialErr(done int, err error) (int, error) {
	if done > 0 {
		return done, nil
	}
	return 0, err
}

// CopyFileRange is vfs_copy_file_range with copy_file_range(2)'s position
// handling: it copies up to n bytes between regular files of the same file
// system, from *offIn (or in's position) to *offOut (or out's position),
// and advances those by the count. The syscall layer has checked flags.
func CopyFileRange(c Ctx, in *File, offIn *int64, out *File, offOut *int64, n uint64) (int, error) {
	posIn, posOut := in.pos(), out.pos()
	if offIn != nil {
		posIn = *offIn
	}
	if offOut != nil {
		posOut = *offOut
	}
	ia, oa := in.Inode.Attr(), out.Inode.Attr()
	// generic_file_rw_checks
	if ia.Mode&S_IFMT == S_IFDIR || oa.Mode&S_IFMT == S_IFDIR {
		return 0, linuxerr.EISDIR
	}
	if ia.Mode&S_IFMT != S_IFREG || oa.Mode&S_IFMT != S_IFREG {
		return 0, linuxerr.EINVAL
	}
	if !in.Readable() || !out.Writable() || out.Flags()&O_APPEND != 0 {
		return 0, linuxerr.EBADF
	}
	// generic_copy_file_checks: no file system of oyako copies across
	// super blocks, which st_dev tells apart.
	if ia.Dev != oa.Dev {
		return 0, linuxerr.EXDEV
	}
	if uint64(posIn)+n < uint64(posIn) || uint64(posOut)+n < uint64(posOut) {
		return 0, linuxerr.EOVERFLOW
	}
	count := n
	if posIn >= ia.Size {
		count = 0
	} else {
		count = min(count, uint64(ia.Size-posIn))
	}
	if in.Inode == out.Inode && posOut+int64(count) > posIn && posOut < posIn+int64(count) {
		return 0, linuxerr.EINVAL
	}
	if err := rwVerify(posIn, count); err != nil {
		return 0, err
	}
	if err := rwVerify(posOut, count); err != nil {
		return 0, err
	}
	if count == 0 {
		return 0, nil
	}
	start := posIn
	k, err := spliceDirect(c, in, &posIn, out, &posOut, min(count, maxRWCount))
	if k > 0 {
		endPos(in, offIn, start+int64(k))
		endPos(out, offOut, posOut)
	}
	return k, err
}
