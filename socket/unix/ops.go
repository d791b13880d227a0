package unix

import (
	"encoding/binary"

	gerrors "gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/socket"
	"oyako/socket/inet"
)

// Send implements sendmsg(2) on the socket open as f: stream sockets as
// unix_stream_sendmsg, seqpacket as unix_seqpacket_sendmsg (a pending
// error first, ENOTCONN unless connected, the address ignored), datagram
// as unix_dgram_sendmsg. It takes its own references to m.Files.
func (s *Sock) Send(c fs.Ctx, f *fs.File, names socket.Names, m *socket.SendMsg) (int, error) {
	nb := socket.Nonblock(f, m.Flags)
	switch s.typ {
	case socket.SOCK_STREAM:
		return s.streamSend(c, m, nb)
	case socket.SOCK_SEQPACKET:
		mu.Lock()
		var err error
		switch {
		case s.err != nil:
			err = s.takeErr()
		case s.state != stateEstablished:
			err = linuxerr.ENOTCONN
		}
		mu.Unlock()
		if err != nil {
			return 0, err
		}
		mm := *m
		mm.Addr = nil
		return s.dgramSend(c, names, &mm, nb)
	}
	return s.dgramSend(c, names, m, nb)
}

// Recv implements recvmsg(2) into buf; out receives the address, flags
// and ancillary data. Received files belong to the caller.
func (s *Sock) Recv(c fs.Ctx, f *fs.File, buf []byte, flags int, out *socket.RecvMsg) (int, error) {
	nb := socket.Nonblock(f, flags)
	switch s.typ {
	case socket.SOCK_STREAM:
		return s.streamRecv(c, buf, flags, nb, out)
	case socket.SOCK_SEQPACKET:
		mu.Lock()
		st := s.state
		mu.Unlock()
		if st != stateEstablished {
			return 0, linuxerr.ENOTCONN
		}
	}
	return s.dgramRecv(c, buf, flags, nb, out)
}

// Read implements fs.FileOps: recv with no flags (sock_read_iter).
func (s *Sock) Read(c fs.Ctx, f *fs.File, p []byte, _ int64) (int, error) {
	return s.SpliceRead(c, f, p, false)
}

// Write implements fs.FileOps: send with no flags (sock_write_iter).
func (s *Sock) Write(c fs.Ctx, f *fs.File, p []byte, _ int64) (int, error) {
	return s.Send(c, f, nil, &socket.SendMsg{Data: socket.Bytes(p)})
}

// Splice implements fs.Splicer: sockets have splice_read
// (unix_stream_splice_read, copy_splice_read for the others) and
// splice_write (splice_to_socket).
func (s *Sock) Splice() (read, write bool) { return true, true }

// SpliceRead implements fs.SpliceReader (socket.SpliceRead).
func (s *Sock) SpliceRead(c fs.Ctx, f *fs.File, p []byte, nonblock bool) (int, error) {
	return socket.SpliceRead(c, f, s, p, nonblock)
}

// IsStream implements fs.Stream: sockets have no file position.
func (s *Sock) IsStream() bool { return true }

// EventQueue implements fs.Pollable.
func (s *Sock) EventQueue() *fs.Queue { return &s.q }

// Readiness implements fs.Pollable: unix_poll for stream sockets,
// unix_dgram_poll for the others (which is not writable while its
// connected peer, not connected back, has a full queue).
func (s *Sock) Readiness(_ *fs.File, mask uint32) uint32 {
	mu.Lock()
	defer mu.Unlock()
	var m uint32
	if s.err != nil {
		m |= fs.EventErr
	}
	if s.shutdown == shutdownMask {
		m |= fs.EventHup
	}
	if s.shutdown&rcvShutdown != 0 {
		m |= fs.EventRdHup | evIn
	}
	if len(s.recv) > 0 {
		m |= evIn
	}
	if s.oob != nil {
		m |= fs.EventPri
	}
	if s.connectionBased() && s.state == stateClose {
		m |= fs.EventHup
	}
	if s.typ != socket.SOCK_STREAM && mask&evOut == 0 {
		return m & mask
	}
	w := s.writable()
	if w && s.typ != socket.SOCK_STREAM {
		if o := s.peer; o != nil && o.peer != s && o.recvqFull() && !o.dead {
			o.addRelay(s)
			w = false
		}
	}
	if w {
		m |= evOut
	}
	return m & mask
}

// InQ returns the bytes a stream or seqpacket socket has queued and not
// read (unix_inq_len): what SIOCINQ reports, and what io_uring's
// IORING_CQE_F_SOCK_NONEMPTY tells after a receive (msg_inq).
func (s *Sock) InQ() int {
	mu.Lock()
	defer mu.Unlock()
	return s.inqLocked()
}

func (s *Sock) inqLocked() int {
	v := 0
	for _, b := range s.recv {
		v += b.len()
	}
	return v
}

// Shutdown implements shutdown(2) (unix_shutdown): this end's
// directions, and for a connected stream or seqpacket socket the
// reverse ones of the peer.
func (s *Sock) Shutdown(how int) error {
	if how < socket.SHUT_RD || how > socket.SHUT_RDWR {
		return linuxerr.EINVAL
	}
	mode := how + 1
	mu.Lock()
	var n notes
	s.shutdown |= mode
	n.add(&s.q, evAll)
	if o := s.peer; o != nil && s.connectionBased() {
		pm := 0
		if mode&rcvShutdown != 0 {
			pm |= sendShutdown
		}
		if mode&sendShutdown != 0 {
			pm |= rcvShutdown
		}
		o.shutdown |= pm
		n.add(&o.q, evAll)
	}
	unlock(n, nil)
	return nil
}

// unnamed is the address of a socket without one: just the family.
var unnamed = []byte{socket.AF_UNIX, 0}

// SockName implements getsockname(2).
func (s *Sock) SockName() []byte {
	mu.Lock()
	defer mu.Unlock()
	if s.addr == nil {
		return unnamed
	}
	return s.addr
}

// PeerName implements getpeername(2): ENOTCONN without a peer.
func (s *Sock) PeerName() ([]byte, error) {
	mu.Lock()
	defer mu.Unlock()
	if s.peer == nil {
		return nil, linuxerr.ENOTCONN
	}
	if s.peer.addr == nil {
		return unnamed, nil
	}
	return s.peer.addr, nil
}

// ioctls (include/uapi/asm-generic/ioctls.h, linux/sockios.h).
const (
	siocinq    = 0x541b // FIONREAD
	siocoutq   = 0x5411 // TIOCOUTQ
	siocatmark = 0x8905
)

// Ioctl implements fs.Ioctler (unix_ioctl): SIOCINQ is the bytes
// queued (the next datagram's length for a datagram socket; EINVAL on
// a listener), SIOCOUTQ the bytes in flight from this socket; other
// requests are the interface requests every socket answers
// (inet.DevIoctl: SIOCGIFCONF, SIOCGIFINDEX...).
func (s *Sock) Ioctl(c fs.Ctx, _ *fs.File, cmd uint32, arg uintptr) (uintptr, error) {
	mu.Lock()
	var v int
	switch cmd {
	case siocinq:
		if s.state == stateListen {
			mu.Unlock()
			return 0, linuxerr.EINVAL
		}
		if s.typ == socket.SOCK_DGRAM {
			if len(s.recv) > 0 {
				v = len(s.recv[0].data)
			}
		} else {
			v = s.inqLocked()
		}
	case siocoutq:
		v = s.wmem
	case siocatmark:
		// At the mark: the next byte is the out-of-band one.
		if len(s.recv) > 0 {
			b := s.recv[0]
			if b == s.oob || b.len() == 0 && (s.oob == nil || len(s.recv) > 1 && s.recv[1] == s.oob) {
				v = 1
			}
		}
	default:
		mu.Unlock()
		// sock_do_ioctl: a request unix_ioctl does not know goes to
		// the interface requests every socket takes.
		return inet.DevIoctl(c, cmd, arg)
	}
	mu.Unlock()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return 0, c.CopyOut(arg, b[:])
}

// GetSockOpt implements getsockopt(2) at SOL_SOCKET (sk_getsockopt):
// the value, to be cut to the caller's length. Other levels are
// EOPNOTSUPP (AF_UNIX has no protocol options), unknown options
// ENOPROTOOPT.
func (s *Sock) GetSockOpt(level, name int) ([]byte, error) {
	if level != socket.SOL_SOCKET {
		return nil, linuxerr.EOPNOTSUPP
	}
	mu.Lock()
	defer mu.Unlock()
	var v int32
	switch name {
	case socket.SO_DEBUG, socket.SO_DONTROUTE, socket.SO_BROADCAST,
		socket.SO_NO_CHECK, socket.SO_PRIORITY, socket.SO_REUSEPORT:
		v = 0
	case socket.SO_OOBINLINE:
		v = b2i(s.oobinline)
	case socket.SO_REUSEADDR:
		v = b2i(s.reuseaddr)
	case socket.SO_KEEPALIVE:
		v = b2i(s.keepalive)
	case socket.SO_TYPE:
		v = int32(s.typ)
	case socket.SO_PROTOCOL:
		v = 0
	case socket.SO_DOMAIN:
		v = socket.AF_UNIX
	case socket.SO_ERROR:
		if e, ok := s.err.(*gerrors.Error); ok {
			v = int32(e.Errno())
		}
		s.err = nil
	case socket.SO_SNDBUF:
		v = int32(s.sndbuf)
	case socket.SO_RCVBUF:
		v = int32(s.rcvbuf)
	case socket.SO_PASSCRED:
		v = b2i(s.passcred)
	case socket.SO_ACCEPTCONN:
		v = b2i(s.state == stateListen)
	case socket.SO_RCVLOWAT:
		v = int32(s.rcvlowat)
	case socket.SO_SNDLOWAT:
		v = 1
	case socket.SO_LINGER:
		return socket.Linger(s.linger[0], s.linger[1]), nil
	case socket.SO_RCVTIMEO, socket.SO_SNDTIMEO:
		return s.timeo.Get(name), nil
	case socket.SO_PEERCRED:
		// cred_to_ucred: pid 0 and IDs -1 before there is a peer.
		c := socket.Cred{UID: ^uint32(0), GID: ^uint32(0)}
		if s.hasPeerCred {
			c = s.peerCred
		}
		b := make([]byte, 12)
		binary.LittleEndian.PutUint32(b, uint32(c.PID))
		binary.LittleEndian.PutUint32(b[4:], c.UID)
		binary.LittleEndian.PutUint32(b[8:], c.GID)
		return b, nil
	default:
		return nil, linuxerr.ENOPROTOOPT
	}
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(v))
	return b, nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// SetSockOpt implements setsockopt(2) at SOL_SOCKET (sk_setsockopt):
// EINVAL for a value shorter than an int, ENOPROTOOPT for an unknown
// option, EOPNOTSUPP at other levels.
func (s *Sock) SetSockOpt(level, name int, val []byte) error {
	if level != socket.SOL_SOCKET {
		return linuxerr.EOPNOTSUPP
	}
	if len(val) < 4 {
		return linuxerr.EINVAL
	}
	v := int32(binary.LittleEndian.Uint32(val))
	mu.Lock()
	var n notes
	defer func() { unlock(n, nil) }()
	switch name {
	case socket.SO_DEBUG, socket.SO_DONTROUTE, socket.SO_BROADCAST,
		socket.SO_NO_CHECK, socket.SO_PRIORITY:
		// Accepted and without effect on AF_UNIX (reported as 0).
	case socket.SO_OOBINLINE:
		s.oobinline = v != 0
	case socket.SO_REUSEPORT:
		if v != 0 {
			return linuxerr.EOPNOTSUPP // not an inet socket
		}
	case socket.SO_REUSEADDR:
		s.reuseaddr = v != 0
	case socket.SO_KEEPALIVE:
		s.keepalive = v != 0
	case socket.SO_PASSCRED:
		s.passcred = v != 0
	case socket.SO_SNDBUF, socket.SO_SNDBUFFORCE:
		s.sndbuf = socket.BufSize(name, v)
		n.add(&s.q, evOut) // sk_write_space
	case socket.SO_RCVBUF, socket.SO_RCVBUFFORCE:
		s.rcvbuf = socket.BufSize(name, v)
	case socket.SO_RCVLOWAT:
		if v < 0 {
			v = 1<<31 - 1
		}
		s.rcvlowat = max(int(v), 1)
	case socket.SO_LINGER:
		if len(val) < 8 {
			return linuxerr.EINVAL
		}
		s.linger = [2]int32{b2i(v != 0), int32(binary.LittleEndian.Uint32(val[4:]))}
	case socket.SO_RCVTIMEO, socket.SO_SNDTIMEO:
		return s.timeo.Set(name, val)
	default:
		return linuxerr.ENOPROTOOPT
	}
	return nil
}
