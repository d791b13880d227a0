package inet

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"

	"oyako/fs"
	"oyako/socket"
)

// Bind implements bind(2) (inet_bind, inet6_bind): an address of the
// socket's family (AF_UNSPEC with INADDR_ANY passes for AF_INET, as
// inet_bind allows for old programs), ports below 1024 for root only
// (EACCES), an address this host does not have EADDRNOTAVAIL, a port
// in use EADDRINUSE, a second bind EINVAL.
func (s *Sock) Bind(c fs.Ctx, _ socket.Names, addr []byte) error {
	fa, family, err := parseAddr(s.family, addr, false)
	if err != nil {
		if s.family != socket.AF_INET || family != socket.AF_UNSPEC || len(addr) < sizeofSockaddrIn ||
			binary.BigEndian.Uint32(addr[4:]) != 0 {
			return err
		}
		fa = tcpip.FullAddress{Port: binary.BigEndian.Uint16(addr[2:])}
	}
	if fa.Port != 0 && fa.Port < 1024 && socket.EffectiveCred(c).UID != 0 {
		return linuxerr.EACCES // CAP_NET_BIND_SERVICE
	}
	return ErrnoOf(s.ep.Bind(fa))
}

// Listen implements listen(2) (inet_listen): stream sockets only
// (EOPNOTSUPP); a connected one is EINVAL. The caller has cut backlog
// to somaxconn; Linux queues backlog+1 connections (sk_acceptq_is_full
// is a strict comparison), which is netstack's backlog+1 too.
func (s *Sock) Listen(_ fs.Ctx, backlog int) error {
	if !s.stream() {
		return linuxerr.EOPNOTSUPP
	}
	return ErrnoOf(s.ep.Listen(max(backlog, 0)))
}

// Connect implements connect(2) (inet_stream_connect,
// inet_dgram_connect): AF_UNSPEC dissolves a datagram socket's
// association; a stream socket's connection is waited for unless the
// file is non-blocking (EINPROGRESS) or SO_SNDTIMEO passes
// (EINPROGRESS); an interrupted wait is ERESTARTSYS (EINTR with a
// timeout), and the next connect reports EALREADY while the handshake
// runs, 0 once after it succeeded, EISCONN after that.
func (s *Sock) Connect(c fs.Ctx, f *fs.File, _ socket.Names, addr []byte) error {
	if len(addr) >= 2 && binary.LittleEndian.Uint16(addr) == socket.AF_UNSPEC {
		if s.stream() {
			// tcp_disconnect: netstack cannot take a connection back.
			return ErrnoOf(s.ep.Disconnect())
		}
		s.ep.Disconnect()
		return nil
	}
	fa, _, err := parseAddr(s.family, addr, !s.stream())
	if err != nil {
		return err
	}
	if s.family == socket.AF_INET6 && isV4Mapped(fa.Addr) && s.ep.SocketOptions().GetV6Only() {
		// tcp_v6_connect, __ip6_datagram_connect: an IPv6-only socket
		// has no route to an IPv4 peer.
		return linuxerr.ENETUNREACH
	}
	terr := s.ep.Connect(fa)
	switch terr.(type) {
	case *tcpip.ErrConnectStarted:
		if !s.stream() {
			return ErrnoOf(terr)
		}
		if socket.Nonblock(f, 0) {
			return linuxerr.EINPROGRESS
		}
	case *tcpip.ErrAlreadyConnecting:
		// inet_stream_connect: a blocking connect on a socket whose
		// handshake is under way waits for its result (io_uring's
		// CONNECT, issued again on a worker, is one).
		if !s.stream() || socket.Nonblock(f, 0) {
			return linuxerr.EALREADY
		}
	default:
		return ErrnoOf(terr)
	}
	_, snd := s.timeouts()
	timedOut, err := s.wait(c, waiter.EventOut|waiter.EventErr|waiter.EventHUp, socket.Deadline(snd))
	if err != nil {
		return err
	}
	if timedOut {
		return linuxerr.EINPROGRESS
	}
	// The connection's result, as netstack tells it to the first
	// connect that asks after the handshake. Linux reports a failure
	// once (sock_error takes sk_err): netstack also keeps it as the
	// endpoint's last error, which SO_ERROR would report again.
	if terr = s.ep.Connect(fa); terr != nil {
		s.ep.LastError()
	}
	return ErrnoOf(terr)
}

// takeError returns and clears the socket's pending error (SO_ERROR,
// sock_error). netstack keeps a hard error (a failed handshake, a
// reset) both as the hard error and as the last error, and LastError
// clears one at a time: Linux has one sk_err, which one read clears.
func (s *Sock) takeError() tcpip.Error {
	err := s.ep.LastError()
	if err != nil {
		s.ep.LastError()
	}
	return err
}

// Accept implements accept4(2) for inet sockets (inet_accept): EINVAL
// unless listening; it waits for a connection unless the file is
// non-blocking (EAGAIN) or SO_RCVTIMEO passes (EAGAIN).
func (s *Sock) Accept(c fs.Ctx, f *fs.File, flags uint32) (*fs.File, error) {
	if !s.stream() {
		return nil, linuxerr.EOPNOTSUPP
	}
	rcv, _ := s.timeouts()
	dl := socket.Deadline(rcv)
	for {
		ep, wq, terr := s.ep.Accept(nil)
		if terr == nil {
			n := &Sock{family: s.family, typ: s.typ, protocol: s.protocol, ep: ep, wq: wq, ino: fs.NewIno()}
			return n.start(c, flags), nil
		}
		if _, ok := terr.(*tcpip.ErrWouldBlock); !ok {
			return nil, ErrnoOf(terr)
		}
		if socket.Nonblock(f, 0) {
			return nil, linuxerr.EAGAIN
		}
		timedOut, err := s.wait(c, waiter.EventIn|waiter.EventErr|waiter.EventHUp, dl)
		if err != nil {
			return nil, err
		}
		if timedOut {
			return nil, linuxerr.EAGAIN
		}
	}
}

// Send implements sendmsg(2) for inet sockets (tcp_sendmsg,
// udp_sendmsg, ping_v4_sendmsg): a stream socket ignores the address
// and, blocking, sends everything before it returns (what it sent if a
// signal or SO_SNDTIMEO stops it); a send on a stream that cannot send
// any more is EPIPE and, without MSG_NOSIGNAL, SIGPIPE.
func (s *Sock) Send(c fs.Ctx, f *fs.File, _ socket.Names, m *socket.SendMsg) (int, error) {
	if m.Flags&socket.MSG_OOB != 0 {
		return 0, linuxerr.EOPNOTSUPP // no urgent data in netstack
	}
	if len(m.Files) > 0 || m.Creds != nil {
		return 0, linuxerr.EINVAL // SCM_RIGHTS and SCM_CREDENTIALS are AF_UNIX's
	}
	opts := tcpip.WriteOptions{More: m.Flags&socket.MSG_MORE != 0, EndOfRecord: m.Flags&socket.MSG_EOR != 0}
	if m.Addr != nil && !s.stream() {
		fa, _, err := parseAddr(s.family, m.Addr, true)
		if err != nil {
			return 0, err
		}
		opts.To = &fa
	}
	nb := socket.Nonblock(f, m.Flags)
	_, snd := s.timeouts()
	dl := socket.Deadline(snd)
	p := &payload{d: m.Data}
	done := 0
	for {
		n, terr := s.ep.Write(p, opts)
		done += int(n)
		if terr == nil && (p.Len() == 0 || !s.stream()) {
			return done, nil
		}
		if terr != nil {
			if _, ok := terr.(*tcpip.ErrWouldBlock); !ok {
				err := ErrnoOf(terr)
				if done > 0 {
					return done, nil
				}
				if linuxerr.Equals(linuxerr.EPIPE, err) && s.stream() && m.Flags&socket.MSG_NOSIGNAL == 0 {
					socket.SigPipe(c)
				}
				return 0, err
			}
		}
		if nb {
			if done > 0 {
				return done, nil
			}
			return 0, linuxerr.EAGAIN
		}
		timedOut, err := s.wait(c, waiter.EventOut|waiter.EventErr|waiter.EventHUp, dl)
		if err != nil || timedOut {
			if done > 0 {
				return done, nil
			}
			if timedOut {
				return 0, linuxerr.EAGAIN
			}
			return 0, err
		}
	}
}

// Recv implements recvmsg(2) for inet sockets (tcp_recvmsg,
// udp_recvmsg): a stream returns what is there (all of buf with
// MSG_WAITALL), 0 at the peer's end; a datagram is cut to buf
// (MSG_TRUNC in the flags, and its whole length returned when the
// caller asked with MSG_TRUNC). Waits end with EAGAIN when the file is
// non-blocking or SO_RCVTIMEO passes.
func (s *Sock) Recv(c fs.Ctx, f *fs.File, buf []byte, flags int, out *socket.RecvMsg) (int, error) {
	if flags&socket.MSG_OOB != 0 {
		if s.stream() {
			return 0, linuxerr.EINVAL // tcp_recv_urg: no urgent data
		}
		return 0, linuxerr.EOPNOTSUPP
	}
	if flags&socket.MSG_ERRQUEUE != 0 {
		return 0, linuxerr.EAGAIN // the error queue is always empty
	}
	if s.stream() && len(buf) == 0 {
		if s.ep.State() == uint32(tcp.StateListen) {
			return 0, linuxerr.ENOTCONN
		}
		return 0, nil
	}
	nb := socket.Nonblock(f, flags)
	rcv, _ := s.timeouts()
	dl := socket.Deadline(rcv)
	peek := flags&socket.MSG_PEEK != 0
	w := &sliceWriter{b: buf, truncate: !s.stream(), discard: s.stream() && flags&socket.MSG_TRUNC != 0}
	out.Discarded = w.discard
	for {
		res, terr := s.ep.Read(w, tcpip.ReadOptions{Peek: peek, NeedRemoteAddr: !s.stream()})
		if terr == nil {
			if !s.stream() {
				if res.Total > w.n {
					out.Flags |= socket.MSG_TRUNC
				}
				out.Addr = sockaddr(s.family, res.RemoteAddr)
				out.Control = s.control(&res.ControlMessages)
				if flags&socket.MSG_TRUNC != 0 {
					return res.Total, nil
				}
				return w.n, nil
			}
			if w.n == len(buf) || flags&socket.MSG_WAITALL == 0 || peek {
				return w.n, nil
			}
			continue
		}
		switch terr.(type) {
		case *tcpip.ErrClosedForReceive:
			return w.n, nil
		case *tcpip.ErrNotConnected, *tcpip.ErrInvalidEndpointState:
			if s.stream() && s.shut.Load()&shutRcv != 0 {
				// tcp_recvmsg: RCV_SHUTDOWN ends the read before
				// the never-connected socket's ENOTCONN.
				return w.n, nil
			}
			return 0, ErrnoOf(terr)
		case *tcpip.ErrWouldBlock:
		default:
			if w.n > 0 {
				return w.n, nil
			}
			return 0, ErrnoOf(terr)
		}
		if w.n > 0 && flags&socket.MSG_WAITALL == 0 {
			return w.n, nil
		}
		if nb {
			if w.n > 0 {
				return w.n, nil
			}
			return 0, linuxerr.EAGAIN
		}
		timedOut, err := s.wait(c, waiter.EventIn|waiter.EventErr|waiter.EventHUp|waiter.EventRdHUp, dl)
		if err != nil || timedOut {
			if w.n > 0 {
				return w.n, nil
			}
			if timedOut {
				return 0, linuxerr.EAGAIN
			}
			return 0, err
		}
	}
}

// Shutdown implements shutdown(2) (inet_shutdown): EINVAL for another
// how, ENOTCONN on a socket that is not connected. As in Linux, the
// socket's shutdown bits are set even then: poll sees them, and a read
// of the never-connected stream returns 0.
func (s *Sock) Shutdown(how int) error {
	var fl tcpip.ShutdownFlags
	var bits int32
	switch how {
	case socket.SHUT_RD:
		fl, bits = tcpip.ShutdownRead, shutRcv
	case socket.SHUT_WR:
		fl, bits = tcpip.ShutdownWrite, shutSnd
	case socket.SHUT_RDWR:
		fl, bits = tcpip.ShutdownRead|tcpip.ShutdownWrite, shutRcv|shutSnd
	default:
		return linuxerr.EINVAL
	}
	err := ErrnoOf(s.ep.Shutdown(fl))
	if err == nil || err == linuxerr.ENOTCONN {
		s.shut.Or(bits)
		s.q.Notify(uint32(waiter.ReadableEvents | waiter.EventRdHUp | waiter.EventHUp))
	}
	return err
}

// SockName implements getsockname(2) (inet_getname).
func (s *Sock) SockName() []byte {
	a, _ := s.ep.GetLocalAddress()
	return sockaddr(s.family, a)
}

// PeerName implements getpeername(2): ENOTCONN without a peer.
func (s *Sock) PeerName() ([]byte, error) {
	a, err := s.ep.GetRemoteAddress()
	if err != nil {
		return nil, ErrnoOf(err)
	}
	return sockaddr(s.family, a)[:], nil
}

// ioctl requests of sockets (include/uapi/asm-generic/sockios.h,
// ioctls.h).
const (
	siocinq    = 0x541b // FIONREAD
	siocoutq   = 0x5411 // TIOCOUTQ
	siocatmark = 0x8905
)

// InQ returns the bytes waiting to be read (SIOCINQ): a stream's
// queue, a datagram socket's next datagram.
func (s *Sock) InQ() int {
	v, _ := s.ep.GetSockOptInt(tcpip.ReceiveQueueSizeOption)
	return v
}

// Ioctl implements fs.Ioctler (inet_ioctl, tcp_ioctl, udp_ioctl):
// SIOCINQ (EINVAL on a listener), SIOCOUTQ and SIOCATMARK; the
// interface requests (IfIoctl for AF_INET, DevIoctl for AF_INET6)
// otherwise.
func (s *Sock) Ioctl(c fs.Ctx, _ *fs.File, cmd uint32, arg uintptr) (uintptr, error) {
	var v int
	switch cmd {
	case siocinq:
		if s.stream() && s.ep.State() == uint32(tcp.StateListen) {
			return 0, linuxerr.EINVAL
		}
		v = s.InQ()
	case siocoutq:
		if s.stream() && s.ep.State() == uint32(tcp.StateListen) {
			return 0, linuxerr.EINVAL
		}
		v, _ = s.ep.GetSockOptInt(tcpip.SendQueueSizeOption)
	case siocatmark:
		if !s.stream() {
			return s.ifIoctl(c, cmd, arg)
		}
		v = 0
	default:
		return s.ifIoctl(c, cmd, arg)
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return 0, c.CopyOut(arg, b[:])
}

// control is a datagram's control messages, in the order Linux writes
// them: the timestamp (sock_recv_cmsgs), then IPv4's IP_PKTINFO,
// IP_TTL and IP_TOS (ip_cmsg_recv_offset) or IPv6's IPV6_PKTINFO,
// IPV6_HOPLIMIT and IPV6_TCLASS (ip6_datagram_recv_ctl), as the
// socket's options ask. netstack fills what the options turned on.
func (s *Sock) control(cm *tcpip.ReceivableControlMessages) []socket.Cmsg {
	var out []socket.Cmsg
	le := binary.LittleEndian
	s.mu.Lock()
	ts := s.timestamp
	s.mu.Unlock()
	if ts != 0 && cm.HasTimestamp {
		b := make([]byte, 16)
		t := cm.Timestamp
		le.PutUint64(b, uint64(t.Unix()))
		if ts == linux.SO_TIMESTAMPNS {
			le.PutUint64(b[8:], uint64(t.Nanosecond()))
		} else {
			le.PutUint64(b[8:], uint64(t.Nanosecond()/1000))
		}
		out = append(out, socket.Cmsg{Level: socket.SOL_SOCKET, Type: ts, Data: b})
	}
	if cm.HasIPPacketInfo {
		// struct in_pktinfo: ipi_ifindex, ipi_spec_dst, ipi_addr.
		b := make([]byte, 12)
		le.PutUint32(b, uint32(cm.PacketInfo.NIC))
		copy(b[4:8], cm.PacketInfo.LocalAddr.AsSlice())
		copy(b[8:12], cm.PacketInfo.DestinationAddr.AsSlice())
		out = append(out, socket.Cmsg{Level: linux.SOL_IP, Type: linux.IP_PKTINFO, Data: b})
	}
	if cm.HasTTL {
		out = append(out, socket.Cmsg{Level: linux.SOL_IP, Type: linux.IP_TTL, Data: socket.Int(int32(cm.TTL))})
	}
	if cm.HasTOS {
		// One byte, as ip_cmsg_recv_tos puts it.
		out = append(out, socket.Cmsg{Level: linux.SOL_IP, Type: linux.IP_TOS, Data: []byte{cm.TOS}})
	}
	if cm.HasIPv6PacketInfo {
		// struct in6_pktinfo: ipi6_addr, ipi6_ifindex.
		b := make([]byte, 20)
		copy(b, cm.IPv6PacketInfo.Addr.AsSlice())
		le.PutUint32(b[16:], uint32(cm.IPv6PacketInfo.NIC))
		out = append(out, socket.Cmsg{Level: linux.SOL_IPV6, Type: linux.IPV6_PKTINFO, Data: b})
	}
	if cm.HasHopLimit {
		out = append(out, socket.Cmsg{Level: linux.SOL_IPV6, Type: linux.IPV6_HOPLIMIT, Data: socket.Int(int32(cm.HopLimit))})
	}
	if cm.HasTClass {
		out = append(out, socket.Cmsg{Level: linux.SOL_IPV6, Type: linux.IPV6_TCLASS, Data: socket.Int(int32(cm.TClass))})
	}
	return out
}
