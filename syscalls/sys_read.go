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
	return readInto(t, a[1], int(min(a[2], maxRWCount)), func(p []byte) (int, error) { return f.Read(t, p) })
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
	return readInto(t, a[1], int(min(a[2], maxRWCount)), func(p []byte) (int, error) {
		n, err := f.Pread(t, p, off)
		off += int64(n)
		return n, err
	})
}

// readInto reads up to n bytes with read and copies them to user memory at
// addr. A regular file is read in chunks until n bytes or EOF; anything
// else is read once (a tty returns a line, a pipe what it has).
func readInto(t *task.Task, addr uintptr, n int, read func([]byte) (int, error)) (uintptr, error) {
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
		if m < len(buf) {
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

// readIovecs reads an iovec array (EINVAL for a bad count or a total
// length overflowing ssize_t, as rw_copy_check_uvector).
func readIovecs(t *task.Task, addr uintptr, cnt uintptr) ([]iovec, int, error) {
	if int(cnt) < 0 || cnt > uioMaxIOV {
		return nil, 0, linuxerr.EINVAL
	}
	b := make([]byte, 16*cnt)
	if err := t.CopyIn(addr, b); err != nil {
		return nil, 0, err
	}
	iov := make([]iovec, cnt)
	total := 0
	for i := range iov {
		iov[i] = iovec{uintptr(binary.LittleEndian.Uint64(b[16*i:])), uintptr(binary.LittleEndian.Uint64(b[16*i+8:]))}
		if int64(iov[i].len) < 0 {
			return nil, 0, linuxerr.EINVAL
		}
		if err := accessOK(iov[i].base, iov[i].len); err != nil {
			return nil, 0, err
		}
		total += int(iov[i].len)
		if total < 0 || total > maxRWCount {
			return nil, 0, linuxerr.EINVAL
		}
	}
	return iov, total, nil
}

// sysReadv implements readv(2): one read into a kernel buffer, scattered.
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
	buf := make([]byte, total)
	n, err := f.Read(t, buf)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, v := range iov {
		if done == n {
			break
		}
		c := min(int(v.len), n-done)
		if err := t.CopyOut(v.base, buf[done:done+c]); err != nil {
			return partial(done, err)
		}
		done += c
	}
	return uintptr(n), nil
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
	buf := make([]byte, 0, total)
	for _, v := range iov {
		part := make([]byte, v.len)
		if err := t.CopyIn(v.base, part); err != nil {
			if len(buf) == 0 {
				return 0, err
			}
			break
		}
		buf = append(buf, part...)
	}
	n, err := f.Write(t, buf)
	if err != nil && n == 0 {
		return 0, err
	}
	return uintptr(n), nil
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
