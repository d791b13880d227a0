package syscalls

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// The data-moving calls: splice, tee, sendfile and copy_file_range. The
// transfers themselves are in package fs (fs/splice.go); the handlers read
// and write the offset arguments in the order Linux does.

// offsetArg reads a loff_t argument; a null pointer means none.
func offsetArg(t *task.Task, addr uintptr) (*int64, error) {
	if addr == 0 {
		return nil, nil
	}
	v, err := copyInU64(t, addr)
	if err != nil {
		return nil, err
	}
	off := int64(v)
	return &off, nil
}

// putOffset writes back an offset argument read by offsetArg.
func putOffset(t *task.Task, addr uintptr, off *int64) error {
	if off == nil {
		return nil
	}
	return copyOutU64(t, addr, uint64(*off))
}

// sysSplice implements splice(2).
func sysSplice(t *task.Task, a *Args) (uintptr, error) {
	offInAddr, offOutAddr, n, flags := a[1], a[3], a[4], uint32(a[5])
	if n == 0 {
		return 0, nil
	}
	if flags&^fs.SPLICE_F_ALL != 0 {
		return 0, linuxerr.EINVAL
	}
	in, out, err := getFiles(t, a[0], a[2])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	// __do_splice: an offset for a pipe is ESPIPE before either offset is
	// read, and off_out is read first.
	if fs.PipeOf(in) != nil && offInAddr != 0 || fs.PipeOf(out) != nil && offOutAddr != 0 {
		return 0, linuxerr.ESPIPE
	}
	offOut, err := offsetArg(t, offOutAddr)
	if err != nil {
		return 0, err
	}
	offIn, err := offsetArg(t, offInAddr)
	if err != nil {
		return 0, err
	}
	k, err := fs.Splice(t, in, offIn, out, offOut, uint64(n), flags)
	if err != nil {
		return 0, err
	}
	if err := putOffset(t, offOutAddr, offOut); err != nil {
		return 0, err
	}
	if err := putOffset(t, offInAddr, offIn); err != nil {
		return 0, err
	}
	return uintptr(k), nil
}

// sysTee implements tee(2).
func sysTee(t *task.Task, a *Args) (uintptr, error) {
	n, flags := a[2], uint32(a[3])
	if flags&^fs.SPLICE_F_ALL != 0 {
		return 0, linuxerr.EINVAL
	}
	if n == 0 {
		return 0, nil
	}
	in, out, err := getFiles(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	k, err := fs.Tee(t, in, out, uint64(n), flags)
	return uintptr(k), err
}

// sysSendfile implements sendfile(2) (x86-64's entry is sendfile64: the
// offset is a loff_t).
func sysSendfile(t *task.Task, a *Args) (uintptr, error) {
	offAddr := a[2]
	off, err := offsetArg(t, offAddr)
	if err != nil {
		return 0, err
	}
	k, err := sendfile(t, a, off)
	// The offset is written back whatever the outcome.
	if perr := putOffset(t, offAddr, off); perr != nil {
		return 0, perr
	}
	return uintptr(k), err
}

func sendfile(t *task.Task, a *Args, off *int64) (int, error) {
	in, err := getFile(t, a[1])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	// A bad out_fd is reported after the checks of in_fd (do_sendfile).
	out, _ := getFile(t, a[0])
	if out != nil {
		defer out.DecRef()
	}
	return fs.Sendfile(t, out, in, off, uint64(a[3]))
}

// sysCopyFileRange implements copy_file_range(2).
func sysCopyFileRange(t *task.Task, a *Args) (uintptr, error) {
	offInAddr, offOutAddr, n, flags := a[1], a[3], a[4], uint32(a[5])
	in, out, err := getFiles(t, a[0], a[2])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	offIn, err := offsetArg(t, offInAddr)
	if err != nil {
		return 0, err
	}
	offOut, err := offsetArg(t, offOutAddr)
	if err != nil {
		return 0, err
	}
	if flags != 0 {
		return 0, linuxerr.EINVAL
	}
	k, err := fs.CopyFileRange(t, in, offIn, out, offOut, uint64(n))
	if err != nil || k == 0 {
		return uintptr(k), err
	}
	// The data is copied: a failure to report either offset is EFAULT
	// all the same.
	errIn, errOut := putOffset(t, offInAddr, offIn), putOffset(t, offOutAddr, offOut)
	if errIn != nil || errOut != nil {
		return 0, linuxerr.EFAULT
	}
	return uintptr(k), nil
}
