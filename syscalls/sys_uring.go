package syscalls

import (
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/kernel/task"
	"oyako/uring"
)

// ringFile is the open file of an io_uring instance (io_uring_fops): it
// has no read or write, polls readable while CQEs wait, maps the ring
// memory, and tears the ring down when its last reference goes.
type ringFile struct{ ring *uring.Ring }

// IsStream implements fs.Stream: a ring has no file position.
func (rf *ringFile) IsStream() bool { return true }

func (rf *ringFile) Read(fs.Ctx, *fs.File, []byte, int64) (int, error)  { return 0, linuxerr.EINVAL }
func (rf *ringFile) Write(fs.Ctx, *fs.File, []byte, int64) (int, error) { return 0, linuxerr.EINVAL }

// Readiness and EventQueue make the ring pollable (io_uring_poll).
func (rf *ringFile) Readiness(_ *fs.File, mask uint32) uint32 { return rf.ring.Readiness(mask) }
func (rf *ringFile) EventQueue() *fs.Queue                    { return rf.ring.EventQueue() }

// Release implements fs.Releaser.
func (rf *ringFile) Release(*fs.File) { rf.ring.Release() }

// MapObject implements objectMapper (io_uring_mmap).
func (rf *ringFile) MapObject(off int64, length uint64) (mm.Object, error) {
	return rf.ring.Mapping(off, length)
}

// ringOf returns the ring f is, or nil.
func ringOf(f *fs.File) *uring.Ring {
	if rf, ok := f.Ops().(*ringFile); ok {
		return rf.ring
	}
	return nil
}

// uringHost is how package uring reaches processes and files.
type uringHost struct{}

// NewWorker returns an I/O thread of t's process (create_io_thread).
func (uringHost) NewWorker(t uring.Task) uring.Worker {
	return task.NewIOThread(t.(*task.Task).Proc)
}

func (uringHost) GetFile(t uring.Task, fd int32) (*fs.File, error) {
	return t.(*task.Task).Proc.FDs().Get(fd)
}

func (uringHost) SameThread(a, b uring.Task) bool { return a.(*task.Task) == b.(*task.Task) }

func init() {
	uring.Host = uringHost{}
	uring.Errno = Errno
	uring.IsRingFile = func(f *fs.File) bool { return ringOf(f) != nil }
}

// sysIoUringSetup implements io_uring_setup(2): the parameters are read
// (EFAULT) and checked by uring.New, written back with the sizes, the
// features and the ring offsets, then the ring's descriptor is installed
// (O_RDWR|O_CLOEXEC, as io_uring_install_fd).
func sysIoUringSetup(t *task.Task, a *Args) (uintptr, error) {
	b := make([]byte, uring.ParamsSize)
	if err := t.CopyIn(a[1], b); err != nil {
		return 0, err
	}
	p := uring.DecodeParams(b)
	var attach *uring.Ring
	if p.Flags&uring.SetupAttachWQ != 0 && p.Resv == [3]uint32{} {
		f, err := t.Proc.FDs().Get(int32(p.WQFd))
		if err != nil {
			return 0, linuxerr.EBADF
		}
		attach = ringOf(f)
		f.DecRef()
		if attach == nil {
			return 0, linuxerr.EINVAL
		}
	}
	ring, err := uring.New(t, uint32(a[0]), &p, attach)
	if err != nil {
		return 0, err
	}
	f := fs.NewFile(fs.NewAnonInode(), "anon_inode:[io_uring]", fs.O_RDWR, &ringFile{ring: ring})
	if err := t.CopyOut(a[1], p.Encode()); err != nil {
		f.DecRef()
		return 0, err
	}
	return installNew(t, f, true)
}

// getRing returns the ring behind descriptor fd: EBADF for no file,
// EOPNOTSUPP for a file that is not a ring.
func getRing(t *task.Task, fd uintptr) (*fs.File, *uring.Ring, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	ring := ringOf(f)
	if ring == nil {
		f.DecRef()
		return nil, nil, linuxerr.EOPNOTSUPP
	}
	return f, ring, nil
}

// getEventsArgSize is sizeof(struct io_uring_getevents_arg).
const getEventsArgSize = 24

// sysIoUringEnter implements io_uring_enter(2). Without
// IORING_ENTER_EXT_ARG the last two arguments are a signal mask and its
// size; with it, a struct io_uring_getevents_arg {u64 sigmask; u32
// sigmask_sz; u32 pad; u64 ts} carries the mask and a timeout. The mask
// applies while the call waits for completions.
func sysIoUringEnter(t *task.Task, a *Args) (uintptr, error) {
	flags := uint32(a[3])
	if flags&^uring.EnterKnown != 0 {
		return 0, linuxerr.EINVAL
	}
	if flags&uring.EnterRegisteredRing != 0 {
		return 0, linuxerr.EINVAL // no ring descriptors are registered (io_uring_enter: no tctx)
	}
	f, ring, err := getRing(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	ea := uring.EnterArgs{ToSubmit: uint32(a[1]), MinComplete: uint32(a[2]), Flags: flags}
	maskAddr, maskSize := a[4], a[5]
	if flags&uring.EnterExtArg != 0 {
		maskAddr, maskSize = 0, 0
		if a[4] != 0 {
			if a[5] != getEventsArgSize {
				return 0, linuxerr.EINVAL
			}
			var b [getEventsArgSize]byte
			if err := t.CopyIn(a[4], b[:]); err != nil {
				return 0, err
			}
			le := binary.LittleEndian
			maskAddr, maskSize = uintptr(le.Uint64(b[0:])), uintptr(le.Uint32(b[8:]))
			if ts := uintptr(le.Uint64(b[16:])); ts != 0 {
				sec, nsec, err := readTimespec(t, ts)
				if err != nil {
					return 0, err
				}
				ea.Timeout, ea.HasTimeout = time.Duration(sec*1e9+nsec), true
			}
		}
	}
	masked := false
	if flags&uring.EnterGetEvents != 0 {
		if masked, err = setCallMask(t, maskAddr, maskSize); err != nil {
			return 0, err
		}
	}
	n, err := ring.Enter(t, ea)
	if linuxerr.Equals(linuxerr.ERESTARTSYS, err) {
		err = linuxerr.EINTR // io_cqring_wait: -EINTR, never restarted
	}
	if masked {
		err = endCallMask(t, masked, err)
	}
	if err != nil {
		return 0, err
	}
	return uintptr(n), nil
}

// sysIoUringRegister implements io_uring_register(2).
func sysIoUringRegister(t *task.Task, a *Args) (uintptr, error) {
	op := uint32(a[1])
	if op&uring.RegisterUseRegisteredRing != 0 {
		return 0, linuxerr.EINVAL // no ring descriptors are registered
	}
	f, ring, err := getRing(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	n, err := ring.Register(t, op, uint64(a[2]), uint32(a[3]))
	return uintptr(n), err
}
