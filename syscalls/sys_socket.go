package syscalls

import (
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
	"oyako/socket"
	"oyako/socket/inet"
	"oyako/socket/netlink"
	"oyako/socket/unix"
)

// The socket family's calls (net/socket.c): they find the socket behind
// a descriptor, copy addresses, iovecs and control messages between user
// memory and the kernel, and call the socket (socket.Socket).

// sockFile returns the socket open as fd: EBADF, or ENOTSOCK for another
// kind of file (sockfd_lookup_light).
func sockFile(t *task.Task, fd uintptr) (*fs.File, socket.Socket, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	s, ok := f.Ops().(socket.Socket)
	if !ok {
		f.DecRef()
		return nil, nil, linuxerr.ENOTSOCK
	}
	return f, s, nil
}

// onSocket runs fn on the socket open as fd (EBADF, ENOTSOCK first).
func onSocket(t *task.Task, fd uintptr, fn func(f *fs.File, s socket.Socket) (uintptr, error)) (uintptr, error) {
	f, s, err := sockFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return fn(f, s)
}

// sockType splits socket(2)'s type into the type and its flags:
// EINVAL for flags other than SOCK_NONBLOCK and SOCK_CLOEXEC.
func sockType(arg uintptr) (int, uint32, error) {
	v := int32(arg)
	flags := uint32(v) &^ socket.SOCK_TYPE_MASK
	if flags&^(socket.SOCK_NONBLOCK|socket.SOCK_CLOEXEC) != 0 {
		return 0, 0, linuxerr.EINVAL
	}
	return int(v & socket.SOCK_TYPE_MASK), flags, nil
}

// checkFamily is __sock_create's first checks: a family out of range is
// EAFNOSUPPORT, a type out of range EINVAL; then the families oyako has.
func checkFamily(family, typ int) error {
	if family < 0 || family >= socket.AF_MAX {
		return linuxerr.EAFNOSUPPORT
	}
	if typ < 0 || typ >= socket.SOCK_MAX {
		return linuxerr.EINVAL
	}
	switch family {
	case socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, netlink.AF_NETLINK:
		return nil
	}
	return linuxerr.EAFNOSUPPORT
}

// sysSocket implements socket(2).
func sysSocket(t *task.Task, a *Args) (uintptr, error) {
	f, flags, err := newSocket(t, a[0], a[1], a[2])
	if err != nil {
		return 0, err
	}
	return installNew(t, f, flags&socket.SOCK_CLOEXEC != 0)
}

// newSocket makes the file of a new socket (__sys_socket_file) and
// returns it with the type's flags.
func newSocket(t *task.Task, family, typeArg, protocol uintptr) (*fs.File, uint32, error) {
	typ, flags, err := sockType(typeArg)
	if err != nil {
		return nil, 0, err
	}
	if err := checkFamily(int(int32(family)), typ); err != nil {
		return nil, 0, err
	}
	var f *fs.File
	switch fam := int(int32(family)); fam {
	case socket.AF_INET, socket.AF_INET6:
		f, err = inet.Create(t, fam, typ, int(int32(protocol)), flags)
	case netlink.AF_NETLINK:
		f, err = netlink.Create(t, typ, int(int32(protocol)), flags)
	default:
		f, err = unix.Create(t, typ, int(int32(protocol)), flags)
	}
	return f, flags, err
}

// sysSocketpair implements socketpair(2).
func sysSocketpair(t *task.Task, a *Args) (uintptr, error) {
	typ, flags, err := sockType(a[1])
	if err != nil {
		return 0, err
	}
	family := int(int32(a[0]))
	if err := checkFamily(family, typ); err != nil {
		return 0, err
	}
	if family != socket.AF_UNIX {
		return 0, linuxerr.EOPNOTSUPP // inet_stream_ops: sock_no_socketpair
	}
	fa, fb, err := unix.Pair(t, typ, int(int32(a[2])), flags)
	if err != nil {
		return 0, err
	}
	return 0, installPair(t, fa, fb, flags&socket.SOCK_CLOEXEC != 0, a[3])
}

// addrIn copies a socket address in (move_addr_to_kernel): EINVAL for a
// length below 0 or above sockaddr_storage's, nothing for 0.
func addrIn(t *task.Task, addr uintptr, n int32) ([]byte, error) {
	if n < 0 || n > socket.SockaddrMax {
		return nil, linuxerr.EINVAL
	}
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	if err := t.CopyIn(addr, b); err != nil {
		return nil, err
	}
	return b, nil
}

// addrOut copies a socket address out (move_addr_to_user): as much as
// the caller's length at lenAddr allows, then the address's real length
// into it; EINVAL for a negative length.
func addrOut(t *task.Task, sa []byte, addr, lenAddr uintptr) error {
	var lb [4]byte
	if err := t.CopyIn(lenAddr, lb[:]); err != nil {
		return err
	}
	n := int32(binary.LittleEndian.Uint32(lb[:]))
	n = min(n, int32(len(sa)))
	if n < 0 {
		return linuxerr.EINVAL
	}
	if n > 0 {
		if err := t.CopyOut(addr, sa[:n]); err != nil {
			return err
		}
	}
	return copyOutU32(t, lenAddr, uint32(len(sa)))
}

// names is the caller's view of the file system for path-bound
// AF_UNIX addresses: relative to its working directory.
type names struct{ t *task.Task }

func (n names) MakeNode(path string, mode uint32) (fs.Inode, func(), error) {
	t := n.t
	cwd := t.Proc.Cwd()
	node, err := task.Root.MakeNode(t, cwd, path, mode, 0, t.Proc.Umask(0, false))
	if err != nil {
		return nil, nil, err
	}
	return node, func() { task.Root.Unlink(t, cwd, path) }, nil
}

func (n names) FindNode(path string) (fs.Inode, error) {
	return task.Root.Resolve(n.t, n.t.Proc.Cwd(), path, true)
}

// sysBind implements bind(2).
func sysBind(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		addr, err := addrIn(t, a[1], int32(a[2]))
		if err != nil {
			return 0, err
		}
		return 0, s.Bind(t, names{t}, addr)
	})
}

// sysListen implements listen(2): a backlog above net.core.somaxconn
// (or negative, taken as unsigned) is cut to it.
func sysListen(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		backlog := int(int32(a[1]))
		if uint32(a[1]) > unix.Somaxconn {
			backlog = unix.Somaxconn
		}
		return 0, s.Listen(t, backlog)
	})
}

// sysConnect implements connect(2): the address is copied before the
// descriptor is checked for being a socket, as __sys_connect does.
func sysConnect(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	addr, err := addrIn(t, a[1], int32(a[2]))
	if err != nil {
		return 0, err
	}
	s, ok := f.Ops().(socket.Socket)
	if !ok {
		return 0, linuxerr.ENOTSOCK
	}
	return 0, s.Connect(t, f, names{t}, addr)
}

// sysAccept implements accept(2).
func sysAccept(t *task.Task, a *Args) (uintptr, error) {
	return accept(t, a[0], a[1], a[2], 0)
}

// sysAccept4 implements accept4(2).
func sysAccept4(t *task.Task, a *Args) (uintptr, error) {
	return accept(t, a[0], a[1], a[2], uint32(a[3]))
}

// accept is accept4's checks: the flags, the socket, and room for a
// descriptor before a connection is taken off the queue, as
// get_unused_fd_flags comes before do_accept.
func accept(t *task.Task, fd, addr, lenAddr uintptr, flags uint32) (uintptr, error) {
	if flags&^(socket.SOCK_NONBLOCK|socket.SOCK_CLOEXEC) != 0 {
		return 0, linuxerr.EINVAL
	}
	f, s, err := sockFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if err := t.Proc.FDs().Room(); err != nil {
		return 0, err
	}
	nf, err := acceptFile(t, f, s, addr, lenAddr, flags)
	if err != nil {
		return 0, err
	}
	return installNew(t, nf, flags&socket.SOCK_CLOEXEC != 0)
}

// acceptFile is do_accept: the new socket's file, its peer address
// copied out first when asked for (ECONNABORTED if the peer is gone).
// f is the listener's file, whose O_NONBLOCK makes the wait fail with
// EAGAIN; io_uring passes nil (it never waits in the call).
func acceptFile(t *task.Task, f *fs.File, s socket.Socket, addr, lenAddr uintptr, flags uint32) (*fs.File, error) {
	nf, err := s.Accept(t, f, flags)
	if err != nil {
		return nil, err
	}
	if addr != 0 {
		peer, err := nf.Ops().(socket.Socket).PeerName()
		if err != nil {
			nf.DecRef()
			return nil, linuxerr.ECONNABORTED
		}
		if err := addrOut(t, peer, addr, lenAddr); err != nil {
			nf.DecRef()
			return nil, err
		}
	}
	return nf, nil
}

// sysGetsockname implements getsockname(2).
func sysGetsockname(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		return 0, addrOut(t, s.SockName(), a[1], a[2])
	})
}

// sysGetpeername implements getpeername(2).
func sysGetpeername(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		peer, err := s.PeerName()
		if err != nil {
			return 0, err
		}
		return 0, addrOut(t, peer, a[1], a[2])
	})
}

// sysShutdown implements shutdown(2).
func sysShutdown(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		return 0, s.Shutdown(int(int32(a[1])))
	})
}

// sysSetsockopt implements setsockopt(2).
func sysSetsockopt(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		n := int32(a[4])
		if n < 0 {
			return 0, linuxerr.EINVAL
		}
		// SOL_SOCKET's options read at most a struct timeval or linger.
		val := make([]byte, min(n, 64))
		if err := t.CopyIn(a[3], val); err != nil {
			return 0, err
		}
		return 0, s.SetSockOpt(int(int32(a[1])), int(int32(a[2])), val)
	})
}

// sysGetsockopt implements getsockopt(2): the value cut to the caller's
// length, which is set to what was written.
func sysGetsockopt(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		var lb [4]byte
		if err := t.CopyIn(a[4], lb[:]); err != nil {
			return 0, err
		}
		n := int32(binary.LittleEndian.Uint32(lb[:]))
		if n < 0 {
			return 0, linuxerr.EINVAL
		}
		v, err := s.GetSockOpt(int(int32(a[1])), int(int32(a[2])))
		if err != nil {
			return 0, err
		}
		v = v[:min(int(n), len(v))]
		if err := t.CopyOut(a[3], v); err != nil {
			return 0, err
		}
		return 0, copyOutU32(t, a[4], uint32(len(v)))
	})
}

// sysSendto implements sendto(2).
func sysSendto(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		n := int(min(a[2], maxRWCount))
		if err := accessOK(a[1], uintptr(n)); err != nil {
			return 0, err
		}
		m := &socket.SendMsg{Flags: int(int32(a[3]))}
		if a[4] != 0 {
			var err error
			if m.Addr, err = addrIn(t, a[4], int32(a[5])); err != nil {
				return 0, err
			}
		}
		m.Data = userData{t, []iovec{{a[1], uintptr(n)}}, n}
		k, err := s.Send(t, f, names{t}, m)
		return uintptr(k), err
	})
}

// userData is a message's data in the sender's iovecs (socket.Data).
type userData struct {
	t     *task.Task
	iov   []iovec
	total int
}

func (d userData) Len() int { return d.total }

func (d userData) ReadAt(dst []byte, off int) error {
	for _, v := range d.iov {
		if len(dst) == 0 {
			break
		}
		if off >= int(v.len) {
			off -= int(v.len)
			continue
		}
		k := min(int(v.len)-off, len(dst))
		if err := d.t.CopyIn(v.base+uintptr(off), dst[:k]); err != nil {
			return err
		}
		dst, off = dst[k:], 0
	}
	return nil
}

// sysRecvfrom implements recvfrom(2): the sender's address, when asked
// for, is written (with its length, 0 if it has none) after the data.
func sysRecvfrom(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		n := int(min(a[2], maxRWCount))
		if err := accessOK(a[1], uintptr(n)); err != nil {
			return 0, err
		}
		buf := make([]byte, min(n, recvChunk))
		var out socket.RecvMsg
		k, err := s.Recv(t, f, buf, int(int32(a[3])), &out)
		dropFiles(out.Files)
		if err != nil {
			return 0, err
		}
		if !out.Discarded {
			if err := t.CopyOut(a[1], buf[:min(k, len(buf))]); err != nil {
				return 0, err
			}
		}
		if a[4] != 0 {
			if err := addrOut(t, out.Addr, a[4], a[5]); err != nil {
				return 0, err
			}
		}
		return uintptr(k), nil
	})
}

// recvChunk bounds the kernel buffer one receive fills (the caller's
// length bounds it too). A datagram is at most its sender's SO_SNDBUF
// less 32 bytes, 425,952 bytes unless SO_SNDBUFFORCE raised it; a larger
// one is cut here as if the caller's buffer were 4 MiB.
const recvChunk = 4 << 20

func dropFiles(files []*fs.File) {
	for _, f := range files {
		f.DecRef()
	}
}

// msghdr is struct user_msghdr.
type msghdr struct {
	name       uintptr
	namelen    int32
	iov        uintptr
	iovlen     uintptr
	control    uintptr
	controllen uintptr
	flags      int32
}

const msghdrSize = 56

func readMsghdr(t *task.Task, addr uintptr) (msghdr, error) {
	var b [msghdrSize]byte
	if err := t.CopyIn(addr, b[:]); err != nil {
		return msghdr{}, err
	}
	le := binary.LittleEndian
	return msghdr{
		name:       uintptr(le.Uint64(b[0:])),
		namelen:    int32(le.Uint32(b[8:])),
		iov:        uintptr(le.Uint64(b[16:])),
		iovlen:     uintptr(le.Uint64(b[24:])),
		control:    uintptr(le.Uint64(b[32:])),
		controllen: uintptr(le.Uint64(b[40:])),
		flags:      int32(le.Uint32(b[48:])),
	}, nil
}

// readMsg reads the struct msghdr at addr and its iovecs.
func readMsg(t *task.Task, addr uintptr) (msghdr, []iovec, int, error) {
	m, err := readMsghdr(t, addr)
	if err != nil {
		return m, nil, 0, err
	}
	iov, total, err := msgIovecs(t, &m)
	return m, iov, total, err
}

// msgIovecs is copy_msghdr_from_user's checks and the iovec import:
// EINVAL for a negative name length (a longer one is cut to
// sockaddr_storage's), EMSGSIZE for more than UIO_MAXIOV iovecs.
func msgIovecs(t *task.Task, m *msghdr) ([]iovec, int, error) {
	if m.namelen < 0 {
		return nil, 0, linuxerr.EINVAL
	}
	m.namelen = min(m.namelen, socket.SockaddrMax)
	if m.name == 0 {
		m.namelen = 0
	}
	if m.iovlen > uioMaxIOV {
		return nil, 0, linuxerr.EMSGSIZE
	}
	return readIovecs(t, m.iov, m.iovlen)
}

// sysSendmsg implements sendmsg(2).
func sysSendmsg(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		n, err := sendmsg(t, f, s, a[1], int(int32(a[2])))
		return uintptr(n), err
	})
}

func sendmsg(t *task.Task, f *fs.File, s socket.Socket, addr uintptr, flags int) (int, error) {
	m, iov, total, err := readMsg(t, addr)
	if err != nil {
		return 0, err
	}
	to, err := msgName(t, m)
	if err != nil {
		return 0, err
	}
	return sendmsgTo(t, f, s, m, to, iov, total, flags)
}

// msgName copies a struct msghdr's destination address in (nil for
// none).
func msgName(t *task.Task, m msghdr) ([]byte, error) {
	if m.namelen > 0 {
		return addrIn(t, m.name, m.namelen)
	}
	return nil, nil
}

// sendmsgTo is sendmsg with the struct msghdr, its destination and its
// iovecs read (io_uring's SENDMSG reads them at submission); the control
// data is read now, as __sys_sendmsg_sock does.
func sendmsgTo(t *task.Task, f *fs.File, s socket.Socket, m msghdr, to []byte, iov []iovec, total, flags int) (int, error) {
	sm := &socket.SendMsg{Flags: flags, Addr: to}
	if int64(m.controllen) < 0 || m.controllen > 1<<31-1 {
		return 0, linuxerr.ENOBUFS
	}
	if m.controllen > 0 {
		ctl := make([]byte, min(m.controllen, maxControl))
		if m.controllen > maxControl {
			return 0, linuxerr.ENOBUFS // sock_kmalloc past optmem_max
		}
		if err := t.CopyIn(m.control, ctl); err != nil {
			return 0, err
		}
		if err := scmSend(t, ctl, sm); err != nil {
			dropFiles(sm.Files)
			return 0, err
		}
	}
	defer dropFiles(sm.Files)
	sm.Data = userData{t, iov, total}
	return s.Send(t, f, names{t}, sm)
}

// maxControl is net.core.optmem_max: the most control data one
// sendmsg may carry.
const maxControl = 131072

const cmsgHdrLen = 16

func cmsgAlign(n int) int { return (n + 7) &^ 7 }

// scmSend is __scm_send: each control message must fit (EINVAL);
// other levels are skipped; SCM_RIGHTS takes at most SCM_MAX_FD open
// descriptors in all (EINVAL, EBADF); SCM_CREDENTIALS must be exactly a
// struct ucred naming the caller's own process and IDs unless it holds
// the capabilities to name others (EPERM), an existing process (ESRCH)
// and valid IDs (EINVAL); other types are EINVAL.
func scmSend(t *task.Task, ctl []byte, m *socket.SendMsg) error {
	le := binary.LittleEndian
	for off := 0; off+cmsgHdrLen <= len(ctl); {
		clen := int(le.Uint64(ctl[off:]))
		if clen < cmsgHdrLen || clen > len(ctl)-off {
			return linuxerr.EINVAL
		}
		level, typ := int32(le.Uint32(ctl[off+8:])), int32(le.Uint32(ctl[off+12:]))
		data := ctl[off+cmsgHdrLen : off+clen]
		if level == socket.SOL_SOCKET {
			switch typ {
			case socket.SCM_RIGHTS:
				k := len(data) / 4
				if k <= 0 {
					break
				}
				if len(m.Files)+k > socket.SCM_MAX_FD {
					return linuxerr.EINVAL
				}
				for i := range k {
					g, err := t.Proc.FDs().Get(int32(le.Uint32(data[4*i:])))
					if err != nil {
						return linuxerr.EBADF
					}
					m.Files = append(m.Files, g)
				}
			case socket.SCM_CREDENTIALS:
				if clen != cmsgHdrLen+12 {
					return linuxerr.EINVAL
				}
				c := socket.Cred{PID: int32(le.Uint32(data)), UID: le.Uint32(data[4:]), GID: le.Uint32(data[8:])}
				if err := checkCreds(t, c); err != nil {
					return err
				}
				m.Creds = &c
			default:
				return linuxerr.EINVAL
			}
		}
		off += cmsgAlign(clen)
	}
	return nil
}

// Capabilities scm_check_creds asks for.
const (
	capSetgid   = 6
	capSetuid   = 7
	capSysAdmin = 21
)

// checkCreds is scm_check_creds with __scm_send's lookups.
func checkCreds(t *task.Task, c socket.Cred) error {
	cr := t.Proc.Creds()
	capable := func(cp uint) bool { return cr.CapEff&(1<<cp) != 0 }
	if !(c.PID == t.Proc.PID || capable(capSysAdmin)) ||
		!(c.UID == cr.RUID || c.UID == cr.EUID || c.UID == cr.SUID || capable(capSetuid)) ||
		!(c.GID == cr.RGID || c.GID == cr.EGID || c.GID == cr.SGID || capable(capSetgid)) {
		return linuxerr.EPERM
	}
	if c.PID != t.Proc.PID && task.ProcessByPID(c.PID) == nil {
		return linuxerr.ESRCH
	}
	if c.UID == ^uint32(0) || c.GID == ^uint32(0) {
		return linuxerr.EINVAL
	}
	return nil
}

// sysRecvmsg implements recvmsg(2).
func sysRecvmsg(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		n, err := recvmsg(t, f, s, a[1], int(int32(a[2])))
		return uintptr(n), err
	})
}

// recvmsg is ____sys_recvmsg: receive, scatter the data, then write the
// address (msg_namelen), the flags (MSG_CMSG_CLOEXEC among them if it
// was asked for) and the control data (msg_controllen: how much of the
// buffer was used).
func recvmsg(t *task.Task, f *fs.File, s socket.Socket, addr uintptr, flags int) (int, error) {
	m, iov, total, err := readMsg(t, addr)
	if err != nil {
		return 0, err
	}
	return recvmsgTo(t, f, s, addr, m, iov, total, flags)
}

// recvmsgTo is recvmsg with the struct msghdr at addr read (m) and the
// data going to iov (io_uring's RECVMSG puts it in a provided buffer).
func recvmsgTo(t *task.Task, f *fs.File, s socket.Socket, addr uintptr, m msghdr, iov []iovec, total, flags int) (int, error) {
	buf := make([]byte, min(total, recvChunk))
	var out socket.RecvMsg
	n, err := s.Recv(t, f, buf, flags, &out)
	if err != nil {
		dropFiles(out.Files)
		return 0, err
	}
	if !out.Discarded {
		if err := scatter(t, iov, buf[:min(n, len(buf))]); err != nil {
			dropFiles(out.Files)
			return 0, err
		}
	}
	if m.name != 0 {
		if err := addrOut(t, out.Addr, m.name, addr+8); err != nil {
			dropFiles(out.Files)
			return 0, err
		}
	}
	mflags := out.Flags | flags&socket.MSG_CMSG_CLOEXEC
	used, ctrunc, err := scmRecv(t, m, &out, flags&socket.MSG_CMSG_CLOEXEC != 0)
	if err != nil {
		return 0, err
	}
	if ctrunc {
		mflags |= socket.MSG_CTRUNC
	}
	if err := copyOutU32(t, addr+48, uint32(mflags)); err != nil {
		return 0, err
	}
	if err := copyOutU64(t, addr+40, uint64(used)); err != nil {
		return 0, err
	}
	return n, nil
}

// scatter copies data over the iovecs.
func scatter(t *task.Task, iov []iovec, data []byte) error {
	for _, v := range iov {
		if len(data) == 0 {
			break
		}
		k := min(int(v.len), len(data))
		if err := t.CopyOut(v.base, data[:k]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

// scmRecv writes a received message's control data as
// __scm_recv_common does: the family's own messages (out.Control:
// timestamps, IP_PKTINFO...) and SCM_CREDENTIALS (put_cmsg, cut and
// MSG_CTRUNC when the buffer is short), then SCM_RIGHTS (scm_detach_fds:
// as many descriptors as fit and can be installed, the rest closed, and
// MSG_CTRUNC). Without a control buffer, anything to report only sets
// MSG_CTRUNC. It returns the bytes of the buffer used.
func scmRecv(t *task.Task, m msghdr, out *socket.RecvMsg, cloexec bool) (used int, ctrunc bool, err error) {
	defer func() { dropFiles(out.Files) }()
	if m.control == 0 {
		return 0, out.Cred != nil || len(out.Files) > 0 || len(out.Control) > 0, nil
	}
	room := int(min(m.controllen, 1<<31-1))
	at := m.control
	le := binary.LittleEndian
	// putCmsg is put_cmsg: a message cut to the room left (its cmsg_len
	// cut too) sets MSG_CTRUNC, as does one for which not even the
	// header fits (then nothing is written).
	putCmsg := func(level, typ int, data []byte) error {
		if room < cmsgHdrLen {
			ctrunc = true
			return nil
		}
		b := make([]byte, cmsgHdrLen+len(data))
		copy(b[cmsgHdrLen:], data)
		if room < len(b) {
			ctrunc = true
			b = b[:room]
		}
		le.PutUint64(b, uint64(len(b)))
		le.PutUint32(b[8:], uint32(level))
		le.PutUint32(b[12:], uint32(typ))
		if err := t.CopyOut(at, b); err != nil {
			return err
		}
		k := min(cmsgAlign(cmsgHdrLen+len(data)), room)
		at += uintptr(k)
		room -= k
		used += k
		return nil
	}
	for _, c := range out.Control {
		if err := putCmsg(c.Level, c.Type, c.Data); err != nil {
			return used, ctrunc, err
		}
	}
	if c := out.Cred; c != nil {
		var d [12]byte
		le.PutUint32(d[0:], uint32(c.PID))
		le.PutUint32(d[4:], c.UID)
		le.PutUint32(d[8:], c.GID)
		if err := putCmsg(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, d[:]); err != nil {
			return used, ctrunc, err
		}
	}
	if len(out.Files) == 0 {
		return used, ctrunc, nil
	}
	fdmax := 0
	if room > cmsgHdrLen {
		fdmax = (room - cmsgHdrLen) / 4
	}
	fds := t.Proc.FDs()
	i := 0
	for ; i < min(fdmax, len(out.Files)); i++ {
		fd, err := fds.Install(out.Files[i], 0, cloexec)
		if err != nil {
			break
		}
		if err := copyOutU32(t, at+cmsgHdrLen+uintptr(4*i), uint32(fd)); err != nil {
			fds.Close(fd)
			break
		}
	}
	for j := range i {
		// Installed: the descriptor table holds the reference now.
		out.Files[j] = nil
	}
	kept := out.Files[i:]
	out.Files = kept
	if i > 0 {
		var h [cmsgHdrLen]byte
		le.PutUint64(h[:], uint64(cmsgHdrLen+4*i))
		le.PutUint32(h[8:], socket.SOL_SOCKET)
		le.PutUint32(h[12:], socket.SCM_RIGHTS)
		if err := t.CopyOut(at, h[:]); err != nil {
			return used, true, err
		}
		used += min(cmsgAlign(cmsgHdrLen+4*i), room)
	}
	if len(kept) > 0 || fdmax <= 0 {
		ctrunc = true
	}
	return used, ctrunc, nil
}

const mmsghdrSize = 64

// sysSendmmsg implements sendmmsg(2): messages one after another until
// one fails; the count sent, or the first message's error.
func sysSendmmsg(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		vlen := min(uint32(a[2]), uioMaxIOV)
		done := 0
		for i := range uintptr(vlen) {
			at := a[1] + i*mmsghdrSize
			n, err := sendmsg(t, f, s, at, int(int32(a[3])))
			if err == nil {
				err = copyOutU32(t, at+msghdrSize, uint32(n))
			}
			if err != nil {
				if done > 0 {
					break
				}
				return 0, err
			}
			done++
		}
		return uintptr(done), nil
	})
}

// sysRecvmmsg implements recvmmsg(2) (do_recvmmsg): messages until vlen
// or an error; MSG_WAITFORONE makes the ones after the first
// non-blocking; the timeout is checked after each message, and what is
// left of it written back.
func sysRecvmmsg(t *task.Task, a *Args) (uintptr, error) {
	return onSocket(t, a[0], func(f *fs.File, s socket.Socket) (uintptr, error) {
		flags := int(int32(a[3]))
		var end time.Time
		if a[4] != 0 {
			sec, nsec, err := readTimespec(t, a[4])
			if err != nil {
				return 0, err
			}
			end = time.Now().Add(time.Duration(sec)*time.Second + time.Duration(nsec))
		}
		vlen := min(uint32(a[2]), uioMaxIOV)
		done := 0
		var failed error
		for i := range uintptr(vlen) {
			at := a[1] + i*mmsghdrSize
			n, err := recvmsg(t, f, s, at, flags&^socket.MSG_WAITFORONE)
			if err == nil {
				err = copyOutU32(t, at+msghdrSize, uint32(n))
			}
			if err != nil {
				failed = err
				break
			}
			done++
			if flags&socket.MSG_WAITFORONE != 0 {
				flags |= socket.MSG_DONTWAIT
			}
			if !end.IsZero() && !time.Now().Before(end) {
				break
			}
		}
		if a[4] != 0 {
			left := max(time.Until(end), 0)
			if err := t.CopyOut(a[4], timespecBytes(int64(left))); err != nil && done == 0 {
				return 0, err
			}
		}
		if done == 0 {
			return 0, failed
		}
		return uintptr(done), nil
	})
}
