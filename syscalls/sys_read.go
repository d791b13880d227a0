package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// ioChunk bounds the kernel buffer one read or write goes through (a
// multiple of the page size).
const ioChunk = 1 << 20

// sysRead implements read(2).
func sysRead(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return readInto(t, a[1], int(min(a[2], maxRWCount)), f.IsStream(), func(p []byte) (int, error) { return f.Read(t, p) })
}

// sysPread64 implements pread64(2).
func sysPread64(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	off := int64(a[3])
	if off < 0 {
		return 0, linuxerr.EINVAL
	}
	return readInto(t, a[1], int(min(a[2], maxRWCount)), f.IsStream(), func(p []byte) (int, error) {
		n, err := f.Pread(t, p, off)
		off += int64(n)
		return n, err
	})
}

// readInto reads up to n bytes with read and copies them to user memory at
// addr. A file is read in chunks until n bytes or EOF; a stream is read
// once (a tty returns a line, a pipe what it has: a second read of a pipe
// that held exactly one chunk would wait for more).
func readInto(t *task.Task, addr uintptr, n int, stream bool, read func([]byte) (int, error)) (uintptr, error) {
	if err := accessOK(addr, uintptr(n)); err != nil {
		return 0, err
	}
	if n == 0 {
		_, err := read(nil)
		return 0, err
	}
	chunk := make([]byte, min(n, ioChunk))
	total := 0
	for total < n {
		buf := chunk[:min(n-total, len(chunk))]
		m, err := read(buf)
		if m > 0 {
			if cerr := t.CopyOut(addr+uintptr(total), buf[:m]); cerr != nil {
				return partial(total, cerr)
			}
			total += m
		}
		if err != nil {
			return partial(total, err)
		}
		if m < len(buf) || stream {
			break
		}
	}
	return uintptr(total), nil
}

// partial is the result of a transfer that moved done bytes and then
// failed with err: the count if any byte moved, else the error, as Linux
// reports a short read or write.
func partial(done int, err error) (uintptr, error) {
	if done > 0 {
		return uintptr(done), nil
	}
	return 0, err
}

// sysWrite implements write(2).
func sysWrite(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if !f.Writable() {
		return 0, linuxerr.EBADF
	}
	return writeFrom(t, a[1], int(min(a[2], maxRWCount)), func(p []byte) (int, error) { return f.Write(t, p) })
}

// sysPwrite64 implements pwrite64(2).
func sysPwrite64(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	off := int64(a[3])
	if off < 0 {
		return 0, linuxerr.EINVAL
	}
	return writeFrom(t, a[1], int(min(a[2], maxRWCount)), func(p []byte) (int, error) {
		n, err := f.Pwrite(t, p, off)
		off += int64(n)
		return n, err
	})
}

// discardMax bounds the writes discardWrite checks.
const discardMax = 256

// discardWrite is a write of n bytes at addr to f when f is a device
// that discards what it is given (fs.FastIO: /dev/null, /dev/zero) and n
// is small: it only checks that the buffer is readable, as writeFrom,
// which reads it before the device sees it, would find, without a kernel
// buffer or the device's write. ok is false for any other write.
func discardWrite(t *task.Task, f *fs.File, addr uintptr, n int) (count uintptr, ok bool, err error) {
	if n > discardMax {
		return 0, false, nil
	}
	c, ok := f.FastWrite(n)
	if !ok {
		return 0, false, nil
	}
	if err := accessOK(addr, uintptr(n)); err != nil {
		return 0, true, err
	}
	if !t.ReadableFast(addr, n) {
		if err := copyInDiscard(t, addr, n); err != nil {
			return 0, true, err
		}
	}
	return uintptr(c), true, nil
}

// copyInDiscard reads n <= discardMax bytes at addr into a buffer it
// throws away (faulting the pages in, or EFAULT).
func copyInDiscard(t *task.Task, addr uintptr, n int) error {
	var b [discardMax]byte
	return t.CopyIn(addr, b[:n])
}

// writeFrom copies n bytes from user memory at addr and writes them with
// write, in chunks.
func writeFrom(t *task.Task, addr uintptr, n int, write func([]byte) (int, error)) (uintptr, error) {
	if err := accessOK(addr, uintptr(n)); err != nil {
		return 0, err
	}
	if n == 0 {
		_, err := write(nil)
		return 0, err
	}
	chunk := make([]byte, min(n, ioChunk))
	total := 0
	for total < n {
		size := min(n-total, len(chunk))
		if total == 0 && n > len(chunk) {
			// A pipe merges the first n%PageSize bytes of a write into its
			// last page (pipe_write): the first chunk has the same
			// remainder, so that the pipe sees what Linux sees.
			size -= (fs.PageSize - n%fs.PageSize) % fs.PageSize
		}
		buf := chunk[:size]
		if err := t.CopyIn(addr+uintptr(total), buf); err != nil {
			return partial(total, err)
		}
		m, err := write(buf)
		total += m
		if err != nil {
			return partial(total, err)
		}
		if m < len(buf) {
			break
		}
	}
	return uintptr(total), nil
}

// UIO_MAXIOV bounds an iovec array.
const uioMaxIOV = 1024

type iovec struct{ base, len uintptr }

// readIovecs reads an iovec array as __import_iovec does: EINVAL for a
// bad count or any length that does not fit in ssize_t (checked for
// every segment first, copy_iovec_from_user), then EFAULT for a segment
// outside the user half; the lengths are cut so that the total is at
// most MAX_RW_COUNT (a longer readv or writev is a short one, not an
// error).
func readIovecs(t *task.Task, addr uintptr, cnt uintptr) ([]iovec, int, error) {
	if int(cnt) < 0 || cnt > uioMaxIOV {
		return nil, 0, linuxerr.EINVAL
	}
	b := make([]byte, 16*cnt)
	if err := t.CopyIn(addr, b); err != nil {
		return nil, 0, err
	}
	iov := make([]iovec, cnt)
	for i := range iov {
		iov[i] = iovec{uintptr(binary.LittleEndian.Uint64(b[16*i:])), uintptr(binary.LittleEndian.Uint64(b[16*i+8:]))}
		if int64(iov[i].len) < 0 {
			return nil, 0, linuxerr.EINVAL
		}
	}
	total := 0
	for i := range iov {
		if err := accessOK(iov[i].base, iov[i].len); err != nil {
			return nil, 0, err
		}
		iov[i].len = min(iov[i].len, uintptr(maxRWCount-total))
		total += int(iov[i].len)
	}
	return iov, total, nil
}

// sysReadv implements readv(2): one read into a kernel buffer, scattered.
// The buffer is as large as the total length up to ioChunk; a longer
// readv reads chunk after chunk while each comes back full (the total
// can reach MAX_RW_COUNT, which the kernel must not allocate at once).
func sysReadv(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	iov, total, err := readIovecs(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	return readvFrom(t, iov, total, func(p []byte) (int, error) { return f.Read(t, p) })
}

// readvFrom reads up to total bytes with read into the iovecs: one read
// into a kernel buffer, scattered, then more while each comes back full
// (readv, preadv, io_uring's READV).
func readvFrom(t *task.Task, iov []iovec, total int, read func([]byte) (int, error)) (uintptr, error) {
	if total == 0 {
		_, err := read(nil)
		return 0, err
	}
	buf := make([]byte, min(total, ioChunk))
	done := 0 // bytes read and copied out
	vi, voff := 0, uintptr(0)
	for done < total {
		n, err := read(buf[:min(total-done, len(buf))])
		// Scatter what was read over the iovecs, from where the last
		// chunk left off.
		for c := 0; c < n; {
			v := iov[vi]
			m := min(int(v.len-voff), n-c)
			if cerr := t.CopyOut(v.base+voff, buf[c:c+m]); cerr != nil {
				return partial(done+c, cerr)
			}
			c += m
			if voff += uintptr(m); voff == v.len {
				vi, voff = vi+1, 0
			}
		}
		done += n
		if err != nil {
			return partial(done, err)
		}
		if n < min(total-done+n, len(buf)) || n == 0 {
			break
		}
	}
	return uintptr(done), nil
}

// sysWritev implements writev(2): gathered, then one write (so that a
// small writev to a pipe or tty is atomic, as in Linux).
func sysWritev(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if !f.Writable() {
		return 0, linuxerr.EBADF
	}
	iov, total, err := readIovecs(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	return writevTo(t, iov, total, func(p []byte) (int, error) { return f.Write(t, p) })
}

// writevTo gathers the iovecs and writes them with write (writev,
// pwritev, io_uring's WRITEV).
func writevTo(t *task.Task, iov []iovec, total int, write func([]byte) (int, error)) (uintptr, error) {
	// Gather up to ioChunk bytes and write them; a longer writev goes on
	// chunk after chunk while each is written whole (the total can reach
	// MAX_RW_COUNT, which the kernel must not allocate at once). A fault
	// ends the gathering: what was gathered before it is written.
	buf := make([]byte, min(total, ioChunk))
	done := 0
	vi, voff := 0, uintptr(0)
	for {
		size, fault := 0, error(nil)
		for size < len(buf) && vi < len(iov) {
			v := iov[vi]
			m := min(int(v.len-voff), len(buf)-size)
			if err := t.CopyIn(v.base+voff, buf[size:size+m]); err != nil {
				fault = err
				break
			}
			size += m
			if voff += uintptr(m); voff == v.len {
				vi, voff = vi+1, 0
			}
		}
		if size == 0 && (fault != nil || done == 0) {
			if fault != nil {
				return partial(done, fault)
			}
			_, err := write(nil)
			return 0, err
		}
		n, err := write(buf[:size])
		done += n
		if err != nil {
			return partial(done, err)
		}
		if n < size || fault != nil || vi == len(iov) {
			return uintptr(done), nil
		}
	}
}

// sysLseek implements lseek(2).
func sysLseek(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	off, err := f.Seek(int64(a[1]), int(int32(a[2])))
	return uintptr(off), err
}

// sysPreadv implements preadv(2): readv at an offset (EINVAL if
// negative), the file position untouched.
func sysPreadv(t *task.Task, a *Args) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, linuxerr.EINVAL
	}
	return preadvFlags(t, a, false, 0)
}

// sysPwritev implements pwritev(2).
func sysPwritev(t *task.Task, a *Args) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, linuxerr.EINVAL
	}
	return preadvFlags(t, a, true, 0)
}

// sysPreadv2 implements preadv2(2): offset -1 is the file position;
// the RWF_ flags are checked and applied as for io_uring's READV.
func sysPreadv2(t *task.Task, a *Args) (uintptr, error) {
	return preadvFlags(t, a, false, uint32(a[5]))
}

// sysPwritev2 implements pwritev2(2).
func sysPwritev2(t *task.Task, a *Args) (uintptr, error) {
	return preadvFlags(t, a, true, uint32(a[5]))
}

// preadvFlags is do_preadv/do_pwritev (and do_readv/do_writev for offset
// -1): the descriptor (EBADF for the wrong mode), the iovecs, the offset
// (ESPIPE on a stream, EINVAL below -1), then the RWF_ flags
// (kiocb_set_rw_flags). RWF_NOWAIT makes a read or write that would wait
// fail with EAGAIN.
func preadvFlags(t *task.Task, a *Args, write bool, flags uint32) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if write && !f.Writable() || !write && !f.Readable() {
		return 0, linuxerr.EBADF
	}
	iov, total, err := readIovecs(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	d := &rwData{off: int64(a[3]), flags: flags}
	if d.off != -1 && f.IsStream() {
		return 0, linuxerr.ESPIPE
	}
	nowait, err := rwFlags(flags, f)
	if err != nil {
		return 0, err
	}
	if nowait {
		t.SetNoWait(true)
		defer t.SetNoWait(false)
	}
	x, err := d.at(f, t, write)
	if err != nil {
		return 0, err
	}
	if write {
		return writevTo(t, iov, total, x.do)
	}
	return readvFrom(t, iov, total, x.do)
}
