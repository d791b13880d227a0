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

// GetFile is fget: an O_PATH descriptor is EBADF, so requests and the
// registered file table never act on one (io_file_get_normal).
func (uringHost) GetFile(t uring.Task, fd int32) (*fs.File, error) {
	return getFileIO(t.(*task.Task), uintptr(uint32(fd)))
}

func (uringHost) SameThread(a, b uring.Task) bool { return a.(*task.Task) == b.(*task.Task) }

func init() {
	uring.Host = uringHost{}
	uring.Errno = Errno
	uring.IsRingFile = func(f *fs.File) bool { return ringOf(f) != nil }
	uring.NoFileLimit = func(t uring.Task) uint64 { return uint64(t.(*task.Task).Proc.FDs().Limit) }
	uring.Pinnable = func(t uring.Task, addr, n uint64) bool { return pinnable(t.(*task.Task), addr, n) }
	task.ImageEnd = append(task.ImageEnd, func(p *task.Process) {
		mine := func(t uring.Task) bool { return t.(*task.Task).Proc == p }
		uring.CancelSubmittedBy(mine)
		uring.StopSQThreadsOf(mine)
	})
}

// pinnable reports whether [addr, addr+n) is mapped and writable
// throughout in t's process (see uring.Pinnable).
func pinnable(t *task.Task, addr, n uint64) bool {
	as := t.Proc.AS()
	if as == nil {
		return false
	}
	a, end := addr, addr+n
	for _, v := range as.VMAs() { // in address order
		if uint64(v.End) <= a {
			continue
		}
		if uint64(v.Start) > a || v.Prot&mm.ProtWrite == 0 {
			return false
		}
		if a = uint64(v.End); a >= end {
			return true
		}
	}
	return false
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
	// IORING_SETUP_ATTACH_WQ's wq_fd: ENXIO for no descriptor, EINVAL for
	// one that is not a ring (io_sq_offload_create). Its file is held
	// until the new ring is made.
	var wqFile *fs.File
	defer func() {
		if wqFile != nil {
			wqFile.DecRef()
		}
	}()
	wq := func() (*uring.Ring, error) {
		f, err := t.Proc.FDs().Get(int32(p.WQFd))
		if err != nil {
			return nil, linuxerr.ENXIO
		}
		wqFile = f
		if r := ringOf(f); r != nil {
			return r, nil
		}
		return nil, linuxerr.EINVAL
	}
	ring, err := uring.New(t, uint32(a[0]), &p, wq)
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

// getEventsArgSize is sizeof(struct io_uring_getevents_arg), and
// regWaitSize sizeof(struct io_uring_reg_wait).
const (
	getEventsArgSize = 24
	regWaitSize      = 64
)

// sysIoUringEnter implements io_uring_enter(2). Without
// IORING_ENTER_EXT_ARG the last two arguments are a signal mask and its
// size; with it, a struct io_uring_getevents_arg {u64 sigmask; u32
// sigmask_sz; u32 pad; u64 ts} carries the mask and a timeout. They are
// read after submission, only for IORING_ENTER_GETEVENTS, and the mask
// applies only if the call has to wait for completions.
func sysIoUringEnter(t *task.Task, a *Args) (uintptr, error) {
	flags := uint32(a[3])
	if flags&^uring.EnterKnown != 0 {
		return 0, linuxerr.EINVAL
	}
	f, ring, err := getRingFd(t, a[0], flags&uring.EnterRegisteredRing != 0)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	ea := uring.EnterArgs{ToSubmit: uint32(a[1]), MinComplete: uint32(a[2]), Flags: flags,
		Wait: func() (uring.WaitArgs, error) { return enterWaitArgs(t, flags, a[4], a[5]) }}
	n, err := ring.Enter(t, ea)
	if linuxerr.Equals(linuxerr.ERESTARTSYS, err) {
		err = linuxerr.EINTR // io_cqring_wait: -EINTR, never restarted
	}
	if err != nil {
		return 0, err
	}
	return uintptr(n), nil
}

// enterWaitArgs reads io_uring_enter's last two arguments (io_get_ext_arg):
// with IORING_ENTER_EXT_ARG, argsz must be that of struct
// io_uring_getevents_arg (EINVAL) and the structure and its timespec
// readable (EFAULT); the timespec is not checked further (a tv_nsec of a
// second or more just makes a longer timeout, as Linux's ktime does).
func enterWaitArgs(t *task.Task, flags uint32, arg, argsz uintptr) (uring.WaitArgs, error) {
	var w uring.WaitArgs
	maskAddr, maskSize := arg, argsz
	if flags&uring.EnterExtArg != 0 && flags&uring.EnterExtArgReg != 0 {
		// The argument is an offset into a wait region registered with
		// IORING_REGISTER_MEM_REGION, which oyako does not have: none is
		// registered (io_get_ext_arg_reg).
		if argsz != regWaitSize {
			return w, linuxerr.EINVAL
		}
		return w, linuxerr.EFAULT
	}
	if flags&uring.EnterExtArg != 0 {
		if argsz != getEventsArgSize {
			return w, linuxerr.EINVAL
		}
		var b [getEventsArgSize]byte
		if err := t.CopyIn(arg, b[:]); err != nil {
			return w, err
		}
		le := binary.LittleEndian
		maskAddr, maskSize = uintptr(le.Uint64(b[0:])), uintptr(le.Uint32(b[8:]))
		if ts := uintptr(le.Uint64(b[16:])); ts != 0 {
			sec, nsec, err := uring.ReadTimespec(t, uint64(ts))
			if err != nil {
				return w, err
			}
			w.Timeout, w.HasTimeout = ktimeOf(sec, nsec), true
			if flags&uring.EnterAbsTimer != 0 {
				// A CLOCK_MONOTONIC time, the ring's clock (io_cqring_wait).
				now, _ := clockNow(t, 1) // CLOCK_MONOTONIC
				w.Timeout = max(w.Timeout-time.Duration(now), 0)
			}
		}
	}
	if maskAddr != 0 {
		w.Mask = func() (func(error) error, error) {
			masked, err := setCallMask(t, maskAddr, maskSize)
			if err != nil {
				return nil, err
			}
			return func(err error) error {
				if linuxerr.Equals(linuxerr.ERESTARTSYS, err) {
					err = linuxerr.EINTR // io_cqring_wait: -EINTR, never restarted
				}
				return endCallMaskEINTR(t, masked, err)
			}, nil
		}
	}
	return w, nil
}

// ktimeOf is timespec64_to_ktime for a wait: a duration from any
// seconds and nanoseconds, saturated, negative ones as 0.
func ktimeOf(sec, nsec int64) time.Duration {
	return time.Duration(max(uring.TimespecNs(sec, nsec), 0))
}

// sysIoUringRegister implements io_uring_register(2): an opcode beyond
// Linux's last is refused before the descriptor is looked at, and
// descriptor -1 asks for the "blind" operations that need no ring
// (IORING_REGISTER_SEND_MSG_RING, IORING_REGISTER_QUERY), which oyako
// does not have.
func sysIoUringRegister(t *task.Task, a *Args) (uintptr, error) {
	op := uint32(a[1])
	registered := op&uring.RegisterUseRegisteredRing != 0
	if op&^uring.RegisterUseRegisteredRing >= uring.RegisterLast || int32(a[0]) == -1 {
		return 0, linuxerr.EINVAL
	}
	f, ring, err := getRingFd(t, a[0], registered)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if err := ring.CheckIssuer(t); err != nil {
		return 0, err
	}
	op &^= uring.RegisterUseRegisteredRing
	switch op {
	case uring.RegisterRingFds:
		return registerRingFds(t, a[2], uint32(a[3]))
	case uring.UnregisterRingFds:
		return unregisterRingFds(t, a[2], uint32(a[3]))
	}
	n, err := ring.Register(t, op, uint64(a[2]), uint32(a[3]))
	return uintptr(n), err
}

// getRingFd returns the ring named by fd: a descriptor, or with
// registered an index into the thread's registered rings (EINVAL out of
// range, EBADF for an empty slot).
func getRingFd(t *task.Task, fd uintptr, registered bool) (*fs.File, *uring.Ring, error) {
	if !registered {
		return getRing(t, fd)
	}
	if fd >= task.RingFdsMax {
		return nil, nil, linuxerr.EINVAL
	}
	f := t.RegisteredRings()[fd]
	if f == nil {
		return nil, nil, linuxerr.EBADF
	}
	f.IncRef()
	return f, ringOf(f), nil
}

// rsrcUpdateSize is sizeof(struct io_uring_rsrc_update) {u32 offset;
// u32 resv; u64 data}.
const rsrcUpdateSize = 16

// registerRingFds is IORING_REGISTER_RING_FDS (io_ringfd_register): each
// entry registers the ring descriptor in data at offset (-1: the first
// free slot, written back). It returns how many it registered, or the
// first error if none.
func registerRingFds(t *task.Task, arg uintptr, nr uint32) (uintptr, error) {
	if nr > task.RingFdsMax {
		return 0, linuxerr.EINVAL
	}
	slots := t.RegisteredRings()
	done := 0
	fail := func(err error) (uintptr, error) {
		if done > 0 {
			return uintptr(done), nil
		}
		return 0, err
	}
	for i := uint32(0); i < nr; i++ {
		var b [rsrcUpdateSize]byte
		addr := arg + uintptr(i)*rsrcUpdateSize
		if err := t.CopyIn(addr, b[:]); err != nil {
			return fail(err)
		}
		off, resv, fd := binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint64(b[8:])
		if resv != 0 {
			return fail(linuxerr.EINVAL)
		}
		if off == ^uint32(0) {
			off = task.RingFdsMax
			for j, f := range slots {
				if f == nil {
					off = uint32(j)
					break
				}
			}
			if off == task.RingFdsMax {
				return fail(linuxerr.EBUSY)
			}
		} else if off >= task.RingFdsMax {
			return fail(linuxerr.EINVAL)
		} else if slots[off] != nil {
			return fail(linuxerr.EBUSY)
		}
		f, err := getFile(t, uintptr(int32(fd)))
		if err != nil {
			return fail(err)
		}
		if ringOf(f) == nil {
			f.DecRef()
			return fail(linuxerr.EOPNOTSUPP)
		}
		binary.LittleEndian.PutUint32(b[0:], off)
		if err := t.CopyOut(addr, b[:]); err != nil {
			f.DecRef()
			return fail(err)
		}
		slots[off] = f
		done++
	}
	return uintptr(done), nil
}

// unregisterRingFds is IORING_UNREGISTER_RING_FDS (io_ringfd_unregister).
func unregisterRingFds(t *task.Task, arg uintptr, nr uint32) (uintptr, error) {
	if nr > task.RingFdsMax {
		return 0, linuxerr.EINVAL
	}
	slots := t.RegisteredRings()
	done := 0
	for i := uint32(0); i < nr; i++ {
		var b [rsrcUpdateSize]byte
		if err := t.CopyIn(arg+uintptr(i)*rsrcUpdateSize, b[:]); err != nil {
			return partial(done, err)
		}
		off, resv := binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint32(b[4:])
		if resv != 0 || off >= task.RingFdsMax {
			return partial(done, linuxerr.EINVAL)
		}
		if f := slots[off]; f != nil {
			f.DecRef()
			slots[off] = nil
		}
		done++
	}
	return uintptr(done), nil
}
