package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// fcntl(2)'s open file description lock commands (include/uapi/asm-generic/fcntl.h).
const (
	fOfdGetlk  = 36
	fOfdSetlk  = 37
	fOfdSetlkw = 38
)

// flockSize is sizeof(struct flock) on x86-64: l_type and l_whence
// (shorts), l_start and l_len at 8 and 16, l_pid at 24, padded to 32.
const flockSize = 32

func decodeFlock(b []byte) fs.Flock {
	le := binary.LittleEndian
	return fs.Flock{
		Type:   int16(le.Uint16(b[0:])),
		Whence: int16(le.Uint16(b[2:])),
		Start:  int64(le.Uint64(b[8:])),
		Len:    int64(le.Uint64(b[16:])),
		PID:    int32(le.Uint32(b[24:])),
	}
}

// encodeFlock writes l over b, leaving the padding as it was.
func encodeFlock(b []byte, l fs.Flock) {
	putU16(b, 0, uint16(l.Type))
	putU16(b, 2, uint16(l.Whence))
	putU64(b, 8, uint64(l.Start))
	putU64(b, 16, uint64(l.Len))
	putU32(b, 24, uint32(l.PID))
}

// fcntlLock implements fcntl(2)'s record lock commands on descriptor fd,
// open as f: F_GETLK, F_SETLK, F_SETLKW and their open file description
// variants (fs/fcntl.c do_fcntl, fs/locks.c fcntl_getlk and fcntl_setlk).
// POSIX locks belong to the process's descriptor table, OFD locks to f.
func fcntlLock(t *task.Task, fd int32, f *fs.File, cmd int32, arg uintptr) (uintptr, error) {
	var b [flockSize]byte
	if err := t.CopyIn(arg, b[:]); err != nil {
		return 0, err
	}
	l := decodeFlock(b[:])
	ofd := cmd == fOfdGetlk || cmd == fOfdSetlk || cmd == fOfdSetlkw
	fds := t.Proc.FDs()
	if cmd == fGetlk || cmd == fOfdGetlk {
		if err := fds.GetLock(f, ofd, &l); err != nil {
			return 0, err
		}
		encodeFlock(b[:], l)
		return 0, t.CopyOut(arg, b[:])
	}
	return 0, fds.SetLock(t, fd, f, ofd, cmd == fSetlkw || cmd == fOfdSetlkw, &l)
}

// sysFlock implements flock(2): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB
// for EWOULDBLOCK instead of waiting. The lock belongs to the open file
// description and never meets fcntl's record locks. LOCK_MAND requests
// are accepted and ignored, as Linux has done since 5.15.
func sysFlock(t *task.Task, a *Args) (uintptr, error) {
	cmd := uint32(a[1])
	if cmd&fs.LOCK_MAND != 0 {
		return 0, nil
	}
	var typ int16
	switch cmd &^ fs.LOCK_NB {
	case fs.LOCK_SH:
		typ = fs.F_RDLCK
	case fs.LOCK_EX:
		typ = fs.F_WRLCK
	case fs.LOCK_UN:
		typ = fs.F_UNLCK
	default:
		return 0, linuxerr.EINVAL
	}
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.Flags()&fs.O_PATH != 0 {
		return 0, linuxerr.EBADF // fdget: O_PATH descriptors are not usable here
	}
	return 0, f.Flock(t, typ, cmd&fs.LOCK_NB != 0)
}
