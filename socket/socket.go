// Package socket holds what every socket family shares: the ABI
// constants of include/linux/socket.h and include/uapi/asm-generic/
// socket.h, the caller a socket operation runs for (Caller), and the
// shapes of a message sent and received (SendMsg, RecvMsg) with its
// ancillary data already decoded by the system-call layer, and what the
// families share (the sockfs file, waiting with SO_RCVTIMEO/SO_SNDTIMEO,
// option encoders, buffer sizing). Families live in subpackages
// (socket/unix, socket/inet for AF_INET and AF_INET6, socket/netlink);
// the system calls (syscalls/sys_socket.go) copy addresses, iovecs and
// control messages in and out and call a Socket.
package socket

import "oyako/fs"

// Address families (include/linux/socket.h).
const (
	AF_UNSPEC = 0
	AF_UNIX   = 1
	AF_INET   = 2
	AF_INET6  = 10
	AF_MAX    = 46 // NPROTO: families at or past it are EAFNOSUPPORT
)

// Socket types and socket(2)'s type flags (include/linux/net.h).
const (
	SOCK_STREAM    = 1
	SOCK_DGRAM     = 2
	SOCK_RAW       = 3
	SOCK_RDM       = 4
	SOCK_SEQPACKET = 5
	SOCK_DCCP      = 6
	SOCK_PACKET    = 10
	SOCK_MAX       = 11
	SOCK_TYPE_MASK = 0xf
	SOCK_NONBLOCK  = fs.O_NONBLOCK
	SOCK_CLOEXEC   = fs.O_CLOEXEC
)

// Message flags (include/linux/socket.h).
const (
	MSG_OOB          = 0x1
	MSG_PEEK         = 0x2
	MSG_DONTROUTE    = 0x4
	MSG_CTRUNC       = 0x8
	MSG_TRUNC        = 0x20
	MSG_DONTWAIT     = 0x40
	MSG_EOR          = 0x80
	MSG_WAITALL      = 0x100
	MSG_ERRQUEUE     = 0x2000
	MSG_NOSIGNAL     = 0x4000
	MSG_MORE         = 0x8000
	MSG_WAITFORONE   = 0x10000
	MSG_CMSG_CLOEXEC = 0x40000000
)

// Option levels, options and control messages of SOL_SOCKET
// (include/uapi/asm-generic/socket.h).
const (
	SOL_SOCKET = 1

	SO_DEBUG        = 1
	SO_REUSEADDR    = 2
	SO_TYPE         = 3
	SO_ERROR        = 4
	SO_DONTROUTE    = 5
	SO_BROADCAST    = 6
	SO_SNDBUF       = 7
	SO_RCVBUF       = 8
	SO_KEEPALIVE    = 9
	SO_OOBINLINE    = 10
	SO_NO_CHECK     = 11
	SO_PRIORITY     = 12
	SO_LINGER       = 13
	SO_REUSEPORT    = 15
	SO_PASSCRED     = 16
	SO_PEERCRED     = 17
	SO_RCVLOWAT     = 18
	SO_SNDLOWAT     = 19
	SO_RCVTIMEO     = 20
	SO_SNDTIMEO     = 21
	SO_ACCEPTCONN   = 30
	SO_SNDBUFFORCE  = 32
	SO_RCVBUFFORCE  = 33
	SO_PROTOCOL     = 38
	SO_DOMAIN       = 39
	SO_RCVTIMEO_NEW = 66
	SO_SNDTIMEO_NEW = 67

	SCM_RIGHTS      = 1
	SCM_CREDENTIALS = 2

	// SCM_MAX_FD is how many descriptors one message may carry.
	SCM_MAX_FD = 253
)

// shutdown(2)'s how.
const (
	SHUT_RD   = 0
	SHUT_WR   = 1
	SHUT_RDWR = 2
)

// Buffer sizes (net/core/sock.c, include/net/sock.h): the defaults of
// net.core.wmem_default/rmem_default and their maxima, and the floors
// SO_SNDBUF and SO_RCVBUF keep.
const (
	WmemDefault = 212992
	WmemMax     = 212992
	RmemDefault = 212992
	RmemMax     = 212992
	MinSndbuf   = 4608 // SOCK_MIN_SNDBUF: 2 * TCP_SKB_MIN_TRUESIZE
	MinRcvbuf   = 2304 // SOCK_MIN_RCVBUF
)

// SockaddrMax is sizeof(struct sockaddr_storage): the most of an address
// a system call copies in (move_addr_to_kernel) or out.
const SockaddrMax = 128

// Cred is a struct ucred: a process and its user and group.
type Cred struct {
	PID      int32
	UID, GID uint32
}

// Creds is implemented by the contexts the system calls run in (the
// task): the caller's process and real and effective IDs, for
// SCM_CREDENTIALS (current_uid_gid: real IDs) and SO_PEERCRED
// (cred_to_ucred: effective IDs).
type Creds interface {
	SocketCreds() (pid int32, uid, gid, euid, egid uint32)
}

// RealCred returns c's process and real IDs, or just its process when c
// cannot tell (a context without credentials, as in host tests).
func RealCred(c fs.Ctx) Cred {
	if cc, ok := c.(Creds); ok {
		pid, uid, gid, _, _ := cc.SocketCreds()
		return Cred{pid, uid, gid}
	}
	return Cred{PID: c.PID()}
}

// EffectiveCred is RealCred with the effective IDs.
func EffectiveCred(c fs.Ctx) Cred {
	if cc, ok := c.(Creds); ok {
		pid, _, _, euid, egid := cc.SocketCreds()
		return Cred{pid, euid, egid}
	}
	return Cred{PID: c.PID()}
}

// Names is the file system a socket address may name: path-bound
// AF_UNIX sockets are nodes in it, resolved from the caller's working
// directory and root.
type Names interface {
	// MakeNode creates a socket node at path with mode (the caller's
	// umask applied); EEXIST if the name exists. remove unlinks it
	// again.
	MakeNode(path string, mode uint32) (node fs.Inode, remove func(), err error)
	// FindNode resolves path, following symbolic links.
	FindNode(path string) (fs.Inode, error)
}

// Data is a message's bytes where the sender has them. The socket
// copies them when it queues them (skb_copy_datagram_from_iter), so a
// check that fails first (EMSGSIZE) never reads them, and a stream
// write that faults half-way has sent the first half.
type Data interface {
	Len() int
	// ReadAt fills dst with the bytes from off on (EFAULT).
	ReadAt(dst []byte, off int) error
}

// Bytes is Data the kernel already holds.
type Bytes []byte

// Len implements Data.
func (b Bytes) Len() int { return len(b) }

// ReadAt implements Data.
func (b Bytes) ReadAt(dst []byte, off int) error {
	copy(dst, b[off:])
	return nil
}

// SendMsg is one sendmsg(2): the data of its iovecs, its destination
// (nil: the connected peer), its flags and ancillary data.
type SendMsg struct {
	Data  Data
	Addr  []byte // the sockaddr bytes as given, or nil
	Flags int
	Files []*fs.File // SCM_RIGHTS, references held by the message
	Creds *Cred      // SCM_CREDENTIALS, checked by the caller
}

// Cmsg is a control message a receive returns besides descriptors and
// credentials (an IP_PKTINFO, a timestamp): its level, type and
// cmsg_data.
type Cmsg struct {
	Level, Type int
	Data        []byte
}

// RecvMsg is what one recvmsg(2) returns besides the data: the sender's
// address, the flags for msg_flags, and the ancillary data to write.
type RecvMsg struct {
	// Control is written first, in order (put_cmsg by put_cmsg).
	Control []Cmsg
	Addr    []byte // nil: no address (msg_namelen 0)
	Flags   int    // MSG_TRUNC, MSG_CTRUNC
	// Discarded says the data was dropped, not read into the buffer
	// (MSG_TRUNC on a TCP stream): the caller's buffer stays as it was.
	Discarded bool
	Cred      *Cred // SCM_CREDENTIALS to report (the receiver has SO_PASSCRED)
	Files     []*fs.File
}

// Socket is what the socket system calls act on: the operations of
// one family's sockets (socket/unix.Sock).
type Socket interface {
	fs.FileOps
	fs.Pollable
	Bind(c fs.Ctx, names Names, addr []byte) error
	Listen(c fs.Ctx, backlog int) error
	Connect(c fs.Ctx, f *fs.File, names Names, addr []byte) error
	// Accept returns the new connection's file, made with flags
	// (SOCK_NONBLOCK).
	Accept(c fs.Ctx, f *fs.File, flags uint32) (*fs.File, error)
	// Send takes its own references to m.Files.
	Send(c fs.Ctx, f *fs.File, names Names, m *SendMsg) (int, error)
	// Recv's out.Files belong to the caller.
	Recv(c fs.Ctx, f *fs.File, buf []byte, flags int, out *RecvMsg) (int, error)
	Shutdown(how int) error
	SockName() []byte
	PeerName() ([]byte, error)
	// GetSockOpt returns the option's whole value; the caller cuts it
	// to the length it was given.
	GetSockOpt(level, name int) ([]byte, error)
	SetSockOpt(level, name int, val []byte) error
}
