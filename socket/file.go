package socket

import (
	"encoding/binary"
	"strconv"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// sockfsDev is the device of sockfs's inodes (an anonymous device, as
// Linux gives its pseudo file systems: 0:8 on a typical boot).
var sockfsDev = fs.Mkdev(0, 8)

type sockInode struct {
	attr  fs.Attr
	proto string
}

func (i *sockInode) Attr() fs.Attr { return i.attr }

// SockProtoName implements fs.SockInode.
func (i *sockInode) SockProtoName() string { return i.proto }

// ProtoNamer is implemented by the sockets whose protocol has a name
// (struct proto's name: "UNIX-STREAM", "TCP", ...), which names their
// sockfs inode (sock_alloc_file's dname) and system.sockprotoname.
type ProtoNamer interface{ ProtoName() string }

// NewFile gives a socket its file (sock_alloc_file): an inode of sockfs
// numbered ino, owned by the caller, named "socket:[ino]", open read and
// write with flags' O_NONBLOCK.
func NewFile(c fs.Ctx, ino uint64, flags uint32, ops fs.FileOps) *fs.File {
	cred := EffectiveCred(c)
	now := fs.Now()
	inode := &sockInode{attr: fs.Attr{Dev: sockfsDev, Ino: ino, Mode: fs.S_IFSOCK | 0o777, Nlink: 1, UID: cred.UID, GID: cred.GID, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}}
	if p, ok := ops.(ProtoNamer); ok {
		inode.proto = p.ProtoName()
	}
	return fs.NewFile(inode, "socket:["+strconv.FormatUint(ino, 10)+"]", fs.O_RDWR|flags&fs.O_NONBLOCK, ops)
}

// Timeval decodes an SO_RCVTIMEO/SO_SNDTIMEO value as sock_set_timeout:
// EINVAL if short, EDOM for microseconds out of range; a negative time
// means no timeout (0), as Linux stores it.
func Timeval(b []byte) (time.Duration, error) {
	if len(b) < 16 {
		return 0, linuxerr.EINVAL
	}
	sec := int64(binary.LittleEndian.Uint64(b))
	usec := int64(binary.LittleEndian.Uint64(b[8:]))
	if usec < 0 || usec >= 1000000 {
		return 0, linuxerr.EDOM
	}
	if sec < 0 {
		return 0, nil
	}
	if sec > int64(time.Duration(1<<62)/time.Second) {
		return 0, nil
	}
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, nil
}

// TimevalBytes encodes d as the struct timeval getsockopt returns.
func TimevalBytes(d time.Duration) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, uint64(d/time.Second))
	binary.LittleEndian.PutUint64(b[8:], uint64(d%time.Second/time.Microsecond))
	return b
}

// Int is an int option's value as getsockopt returns it.
func Int(v int32) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(v))
	return b
}

// Bool is a boolean option's value: 1 or 0.
func Bool(v bool) []byte {
	if v {
		return Int(1)
	}
	return Int(0)
}

// IntArg is the int a setsockopt value starts with: EINVAL when it is
// shorter than an int (sockptr's copy_from_sockptr of an int).
func IntArg(val []byte) (int32, error) {
	if len(val) < 4 {
		return 0, linuxerr.EINVAL
	}
	return int32(binary.LittleEndian.Uint32(val)), nil
}

// Linger is a struct linger's two fields.
func Linger(onoff, secs int32) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, uint32(onoff))
	binary.LittleEndian.PutUint32(b[4:], uint32(secs))
	return b
}

// Timeouts are a socket's SO_RCVTIMEO and SO_SNDTIMEO (sk_rcvtimeo,
// sk_sndtimeo); its family's lock guards them.
type Timeouts struct{ Rcv, Snd time.Duration }

// Set sets SO_RCVTIMEO or SO_SNDTIMEO (name) from a struct timeval
// (sock_set_timeout; Timeval's errors).
func (t *Timeouts) Set(name int, val []byte) error {
	d, err := Timeval(val)
	if err != nil {
		return err
	}
	if name == SO_RCVTIMEO {
		t.Rcv = d
	} else {
		t.Snd = d
	}
	return nil
}

// Get returns SO_RCVTIMEO or SO_SNDTIMEO (name) as getsockopt does.
func (t *Timeouts) Get(name int) []byte {
	if name == SO_RCVTIMEO {
		return TimevalBytes(t.Rcv)
	}
	return TimevalBytes(t.Snd)
}
