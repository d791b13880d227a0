package inet

import (
	"bytes"
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/abi/linux"
	gerrors "gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"oyako/socket"
)

// The default hop limit a socket reports while IP_TTL or
// IPV6_UNICAST_HOPS is unset (-1): net.ipv4.ip_default_ttl and
// net.ipv6.conf.all.hop_limit.
const defaultTTL = 64

// Limits of TCP's per-socket keep-alive options (MAX_TCP_KEEPIDLE,
// MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT) and TCP_MAXSEG's range.
const (
	maxTCPKeepIdle  = 32767
	maxTCPKeepIntvl = 32767
	maxTCPKeepCnt   = 127
	tcpMinMSS       = 88
	maxTCPWindow    = 32767
)

// GetSockOpt implements getsockopt(2) for inet sockets (sk_getsockopt,
// do_ip_getsockopt, do_ipv6_getsockopt, do_tcp_getsockopt): the
// option's whole value, cut by the caller. An unknown option is
// ENOPROTOOPT; TCP's options on a UDP socket are EOPNOTSUPP... as
// Linux's udp_getsockopt hands SOL_TCP to ip_getsockopt: ENOPROTOOPT.
func (s *Sock) GetSockOpt(level, name int) ([]byte, error) {
	so := s.ep.SocketOptions()
	switch level {
	case socket.SOL_SOCKET:
		return s.getSocket(name)
	case linux.SOL_TCP:
		if !s.stream() {
			return nil, s.otherLevel()
		}
		return s.getTCP(name)
	case linux.SOL_IP:
		switch name {
		case linux.IP_TTL:
			v, _ := s.ep.GetSockOptInt(tcpip.IPv4TTLOption)
			if v == 0 {
				v = defaultTTL
			}
			return socket.Int(int32(v)), nil
		case linux.IP_TOS:
			v, _ := s.ep.GetSockOptInt(tcpip.IPv4TOSOption)
			return socket.Int(int32(v)), nil
		case linux.IP_RECVTOS:
			return socket.Bool(so.GetReceiveTOS()), nil
		case linux.IP_RECVTTL:
			return socket.Bool(so.GetReceiveTTL()), nil
		case linux.IP_PKTINFO:
			return socket.Bool(so.GetReceivePacketInfo()), nil
		case linux.IP_RECVERR:
			return socket.Bool(so.GetIPv4RecvError()), nil
		case linux.IP_HDRINCL:
			return socket.Bool(so.GetHeaderIncluded()), nil
		case linux.IP_MULTICAST_TTL:
			v, _ := s.ep.GetSockOptInt(tcpip.MulticastTTLOption)
			return socket.Int(int32(v)), nil
		case linux.IP_MULTICAST_LOOP:
			return socket.Bool(so.GetMulticastLoop()), nil
		case linux.IP_MULTICAST_IF:
			var o tcpip.MulticastInterfaceOption
			if err := s.ep.GetSockOpt(&o); err != nil {
				return nil, ErrnoOf(err)
			}
			b := make([]byte, 4)
			if o.InterfaceAddr.Len() == 4 {
				copy(b, o.InterfaceAddr.AsSlice())
			}
			return b, nil
		case linux.IP_MTU_DISCOVER:
			v, _ := s.ep.GetSockOptInt(tcpip.MTUDiscoverOption)
			return socket.Int(int32(v)), nil
		}
		return nil, linuxerr.ENOPROTOOPT
	case linux.SOL_IPV6:
		if s.family != socket.AF_INET6 {
			return nil, s.otherLevel()
		}
		switch name {
		case linux.IPV6_V6ONLY:
			return socket.Bool(so.GetV6Only()), nil
		case linux.IPV6_UNICAST_HOPS:
			v, _ := s.ep.GetSockOptInt(tcpip.IPv6HopLimitOption)
			if v < 0 {
				v = defaultTTL
			}
			return socket.Int(int32(v)), nil
		case linux.IPV6_TCLASS:
			v, _ := s.ep.GetSockOptInt(tcpip.IPv6TrafficClassOption)
			return socket.Int(int32(v)), nil
		case linux.IPV6_RECVTCLASS:
			return socket.Bool(so.GetReceiveTClass()), nil
		case linux.IPV6_RECVPKTINFO:
			return socket.Bool(so.GetIPv6ReceivePacketInfo()), nil
		case linux.IPV6_RECVHOPLIMIT:
			return socket.Bool(so.GetReceiveHopLimit()), nil
		case linux.IPV6_RECVERR:
			return socket.Bool(so.GetIPv6RecvError()), nil
		case linux.IPV6_MULTICAST_HOPS:
			v, _ := s.ep.GetSockOptInt(tcpip.MulticastTTLOption)
			return socket.Int(int32(v)), nil
		case linux.IPV6_MULTICAST_LOOP:
			return socket.Bool(so.GetMulticastLoop()), nil
		}
		return nil, linuxerr.ENOPROTOOPT
	}
	return nil, s.otherLevel()
}

// otherLevel is getsockopt's error for a level the socket's protocol
// does not know: an AF_INET socket's protocol hands it to
// do_ip_getsockopt (EOPNOTSUPP), an AF_INET6 socket's to
// ipv6_getsockopt (ENOPROTOOPT).
func (s *Sock) otherLevel() error {
	if s.family == socket.AF_INET {
		return linuxerr.EOPNOTSUPP
	}
	return linuxerr.ENOPROTOOPT
}

func (s *Sock) getSocket(name int) ([]byte, error) {
	so := s.ep.SocketOptions()
	switch name {
	case socket.SO_TYPE:
		return socket.Int(int32(s.typ)), nil
	case socket.SO_PROTOCOL:
		return socket.Int(int32(s.protocol)), nil
	case socket.SO_DOMAIN:
		return socket.Int(int32(s.family)), nil
	case socket.SO_ERROR:
		var v int32
		if e, ok := ErrnoOf(s.takeError()).(*gerrors.Error); ok {
			v = int32(e.Errno())
		}
		return socket.Int(v), nil
	case socket.SO_ACCEPTCONN:
		return socket.Bool(s.stream() && s.ep.State() == uint32(tcp.StateListen)), nil
	case socket.SO_REUSEADDR:
		return socket.Bool(so.GetReuseAddress()), nil
	case socket.SO_REUSEPORT:
		return socket.Bool(so.GetReusePort()), nil
	case socket.SO_KEEPALIVE:
		return socket.Bool(so.GetKeepAlive()), nil
	case socket.SO_BROADCAST:
		return socket.Bool(so.GetBroadcast()), nil
	case socket.SO_PASSCRED:
		return socket.Bool(so.GetPassCred()), nil
	case socket.SO_NO_CHECK:
		return socket.Bool(so.GetNoChecksum()), nil
	case socket.SO_DEBUG, socket.SO_DONTROUTE, socket.SO_PRIORITY, socket.SO_OOBINLINE:
		return socket.Int(0), nil
	case linux.SO_TIMESTAMP, linux.SO_TIMESTAMPNS:
		s.mu.Lock()
		defer s.mu.Unlock()
		return socket.Bool(s.timestamp == name), nil
	case socket.SO_SNDLOWAT:
		return socket.Int(1), nil
	case socket.SO_RCVLOWAT:
		return socket.Int(int32(so.GetRcvlowat())), nil
	case socket.SO_SNDBUF:
		return socket.Int(int32(so.GetSendBufferSize())), nil
	case socket.SO_RCVBUF:
		return socket.Int(int32(so.GetReceiveBufferSize())), nil
	case socket.SO_LINGER:
		l := so.GetLinger()
		s.mu.Lock()
		secs := s.lingerSecs
		s.mu.Unlock()
		var on int32
		if l.Enabled {
			on = 1
		}
		return socket.Linger(on, secs), nil
	case socket.SO_RCVTIMEO, socket.SO_SNDTIMEO:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.timeo.Get(name), nil
	case socket.SO_PEERCRED:
		// cred_to_ucred without a peer's credentials: pid 0, IDs -1.
		b := make([]byte, 12)
		binary.LittleEndian.PutUint32(b[4:], ^uint32(0))
		binary.LittleEndian.PutUint32(b[8:], ^uint32(0))
		return b, nil
	case linux.SO_MARK:
		return socket.Int(int32(so.GetMark())), nil
	case linux.SO_BINDTODEVICE:
		id := so.GetBindToDevice()
		if id == 0 {
			return nil, nil
		}
		name := Stack().FindNICNameFromID(tcpip.NICID(id))
		return append([]byte(name), 0), nil
	}
	return nil, linuxerr.ENOPROTOOPT
}

func (s *Sock) getTCP(name int) ([]byte, error) {
	so := s.ep.SocketOptions()
	switch name {
	case linux.TCP_NODELAY:
		return socket.Bool(!so.GetDelayOption()), nil
	case linux.TCP_CORK:
		return socket.Bool(so.GetCorkOption()), nil
	case linux.TCP_QUICKACK:
		return socket.Bool(so.GetQuickAck()), nil
	case linux.TCP_MAXSEG:
		v, _ := s.ep.GetSockOptInt(tcpip.MaxSegOption)
		return socket.Int(int32(v)), nil
	case linux.TCP_KEEPIDLE:
		var v tcpip.KeepaliveIdleOption
		s.ep.GetSockOpt(&v)
		return socket.Int(int32(time.Duration(v) / time.Second)), nil
	case linux.TCP_KEEPINTVL:
		var v tcpip.KeepaliveIntervalOption
		s.ep.GetSockOpt(&v)
		return socket.Int(int32(time.Duration(v) / time.Second)), nil
	case linux.TCP_KEEPCNT:
		v, _ := s.ep.GetSockOptInt(tcpip.KeepaliveCountOption)
		return socket.Int(int32(v)), nil
	case linux.TCP_SYNCNT:
		v, _ := s.ep.GetSockOptInt(tcpip.TCPSynCountOption)
		return socket.Int(int32(v)), nil
	case linux.TCP_WINDOW_CLAMP:
		v, _ := s.ep.GetSockOptInt(tcpip.TCPWindowClampOption)
		return socket.Int(int32(v)), nil
	case linux.TCP_USER_TIMEOUT:
		var v tcpip.TCPUserTimeoutOption
		s.ep.GetSockOpt(&v)
		return socket.Int(int32(time.Duration(v) / time.Millisecond)), nil
	case linux.TCP_LINGER2:
		var v tcpip.TCPLingerTimeoutOption
		s.ep.GetSockOpt(&v)
		return socket.Int(int32(time.Duration(v) / time.Second)), nil
	case linux.TCP_DEFER_ACCEPT:
		var v tcpip.TCPDeferAcceptOption
		s.ep.GetSockOpt(&v)
		return socket.Int(int32(time.Duration(v) / time.Second)), nil
	case linux.TCP_CONGESTION:
		var v tcpip.CongestionControlOption
		if err := s.ep.GetSockOpt(&v); err != nil {
			return nil, ErrnoOf(err)
		}
		b := make([]byte, 16) // TCP_CA_NAME_MAX
		copy(b, v)
		return b, nil
	case linux.TCP_INFO:
		return s.tcpInfo(), nil
	}
	return nil, linuxerr.ENOPROTOOPT
}

// tcpInfo is TCP_INFO's struct tcp_info (tcp_get_info), from what
// netstack knows: the state, the timers in microseconds, the congestion
// window and threshold, and the MSS.
func (s *Sock) tcpInfo() []byte {
	var o tcpip.TCPInfoOption
	s.ep.GetSockOpt(&o)
	var info linux.TCPInfo
	info.State = uint8(tcpState(s.ep.State()))
	if info.State == uint8(tcp.StateTimeWait) {
		// tcp_time_wait hands the connection to a timewait sock and
		// closes the socket itself (tcp_done): its owner sees TCP_CLOSE.
		info.State = uint8(tcp.StateClose)
	}
	info.CaState = uint8(o.CcState)
	info.RTO = uint32(o.RTO / time.Microsecond)
	info.RTT = uint32(o.RTT / time.Microsecond)
	info.RTTVar = uint32(o.RTTVar / time.Microsecond)
	info.SndSsthresh = o.SndSsthresh
	info.SndCwnd = o.SndCwnd
	if mss, err := s.ep.GetSockOptInt(tcpip.MaxSegOption); err == nil {
		info.SndMss = uint32(mss)
	}
	b := make([]byte, info.SizeBytes())
	info.MarshalBytes(b)
	return b
}

// tcpState maps netstack's endpoint state to Linux's TCP state numbers
// (include/net/tcp_states.h): netstack numbers the connected states as
// Linux does; its states before a connection (initial, bound,
// connecting, error) are TCP_CLOSE, or TCP_SYN_SENT while connecting.
func tcpState(st uint32) int {
	switch e := tcp.EndpointState(st); {
	case e == tcp.StateConnecting:
		return int(tcp.StateSynSent)
	case e >= tcp.StateEstablished && e <= tcp.StateClosing:
		return int(e)
	default:
		return int(tcp.StateClose)
	}
}

// TCPState returns the socket's state as Linux numbers it
// (TCP_ESTABLISHED...), for a TCP socket.
func (s *Sock) TCPState() int { return tcpState(s.ep.State()) }

// SetSockOpt implements setsockopt(2) for inet sockets (sk_setsockopt,
// do_ip_setsockopt, do_ipv6_setsockopt, do_tcp_setsockopt).
func (s *Sock) SetSockOpt(level, name int, val []byte) error {
	switch level {
	case socket.SOL_SOCKET:
		return s.setSocket(name, val)
	case linux.SOL_TCP:
		if !s.stream() {
			return linuxerr.ENOPROTOOPT
		}
		return s.setTCP(name, val)
	case linux.SOL_IP:
		return s.setIP(name, val)
	case linux.SOL_IPV6:
		if s.family != socket.AF_INET6 {
			return linuxerr.ENOPROTOOPT
		}
		return s.setIPv6(name, val)
	}
	return linuxerr.ENOPROTOOPT
}

func (s *Sock) setSocket(name int, val []byte) error {
	so := s.ep.SocketOptions()
	switch name {
	case socket.SO_RCVTIMEO, socket.SO_SNDTIMEO:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.timeo.Set(name, val)
	case linux.SO_BINDTODEVICE:
		n := bytes.IndexByte(val, 0)
		if n < 0 {
			n = len(val)
		}
		if n == 0 {
			return ErrnoOf(so.SetBindToDevice(0))
		}
		id, ok := nicByName(string(val[:n]))
		if !ok {
			return linuxerr.ENODEV
		}
		return ErrnoOf(so.SetBindToDevice(int32(id)))
	}
	v, err := socket.IntArg(val)
	if err != nil {
		return err
	}
	switch name {
	case socket.SO_REUSEADDR:
		so.SetReuseAddress(v != 0)
	case socket.SO_REUSEPORT:
		so.SetReusePort(v != 0)
	case socket.SO_KEEPALIVE:
		so.SetKeepAlive(v != 0)
	case socket.SO_BROADCAST:
		so.SetBroadcast(v != 0)
	case socket.SO_PASSCRED:
		so.SetPassCred(v != 0)
	case socket.SO_NO_CHECK:
		so.SetNoChecksum(v != 0)
	case socket.SO_DEBUG, socket.SO_DONTROUTE, socket.SO_PRIORITY, socket.SO_OOBINLINE:
		// Accepted; netstack has no urgent data or priorities to act
		// on, and reports 0.
	case linux.SO_TIMESTAMP, linux.SO_TIMESTAMPNS:
		// Datagrams come with SCM_TIMESTAMP or SCM_TIMESTAMPNS
		// (sock_recv_timestamp); turning one off turns off both.
		s.mu.Lock()
		if v != 0 {
			s.timestamp = name
		} else {
			s.timestamp = 0
		}
		s.mu.Unlock()
	case socket.SO_RCVLOWAT:
		if v < 0 {
			v = 1<<31 - 1
		}
		return ErrnoOf(so.SetRcvlowat(int32(max(v, 1))))
	case socket.SO_SNDBUF, socket.SO_SNDBUFFORCE:
		so.SetSendBufferSize(int64(socket.BufSize(name, v)), true)
	case socket.SO_RCVBUF, socket.SO_RCVBUFFORCE:
		so.SetReceiveBufferSize(int64(socket.BufSize(name, v)), true)
	case socket.SO_LINGER:
		if len(val) < 8 {
			return linuxerr.EINVAL
		}
		secs := int32(binary.LittleEndian.Uint32(val[4:]))
		so.SetLinger(tcpip.LingerOption{Enabled: v != 0, Timeout: time.Duration(max(secs, 0)) * time.Second})
		s.mu.Lock()
		s.lingerSecs = secs
		s.mu.Unlock()
	case linux.SO_MARK:
		so.SetMark(uint32(v))
	default:
		return linuxerr.ENOPROTOOPT
	}
	return nil
}

func (s *Sock) setTCP(name int, val []byte) error {
	so := s.ep.SocketOptions()
	if name == linux.TCP_CONGESTION {
		n := bytes.IndexByte(val, 0)
		if n < 0 {
			n = len(val)
		}
		v := tcpip.CongestionControlOption(val[:n])
		if err := s.ep.SetSockOpt(&v); err != nil {
			return linuxerr.ENOENT // tcp_set_congestion_control: unknown name
		}
		return nil
	}
	v, err := socket.IntArg(val)
	if err != nil {
		return err
	}
	switch name {
	case linux.TCP_NODELAY:
		so.SetDelayOption(v == 0)
	case linux.TCP_CORK:
		so.SetCorkOption(v != 0)
	case linux.TCP_QUICKACK:
		so.SetQuickAck(v != 0)
	case linux.TCP_MAXSEG:
		if v != 0 && (v < tcpMinMSS || v > maxTCPWindow) {
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.MaxSegOption, int(v)))
	case linux.TCP_KEEPIDLE:
		if v < 1 || v > maxTCPKeepIdle {
			return linuxerr.EINVAL
		}
		o := tcpip.KeepaliveIdleOption(time.Duration(v) * time.Second)
		return ErrnoOf(s.ep.SetSockOpt(&o))
	case linux.TCP_KEEPINTVL:
		if v < 1 || v > maxTCPKeepIntvl {
			return linuxerr.EINVAL
		}
		o := tcpip.KeepaliveIntervalOption(time.Duration(v) * time.Second)
		return ErrnoOf(s.ep.SetSockOpt(&o))
	case linux.TCP_KEEPCNT:
		if v < 1 || v > maxTCPKeepCnt {
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.KeepaliveCountOption, int(v)))
	case linux.TCP_SYNCNT:
		if v < 1 || v > 127 {
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.TCPSynCountOption, int(v)))
	case linux.TCP_WINDOW_CLAMP:
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.TCPWindowClampOption, int(v)))
	case linux.TCP_USER_TIMEOUT:
		if v < 0 {
			return linuxerr.EINVAL
		}
		o := tcpip.TCPUserTimeoutOption(time.Duration(v) * time.Millisecond)
		return ErrnoOf(s.ep.SetSockOpt(&o))
	case linux.TCP_LINGER2:
		o := tcpip.TCPLingerTimeoutOption(time.Duration(v) * time.Second)
		return ErrnoOf(s.ep.SetSockOpt(&o))
	case linux.TCP_DEFER_ACCEPT:
		o := tcpip.TCPDeferAcceptOption(time.Duration(max(v, 0)) * time.Second)
		return ErrnoOf(s.ep.SetSockOpt(&o))
	default:
		return linuxerr.ENOPROTOOPT
	}
	return nil
}

func (s *Sock) setIP(name int, val []byte) error {
	so := s.ep.SocketOptions()
	switch name {
	case linux.IP_ADD_MEMBERSHIP, linux.IP_DROP_MEMBERSHIP:
		// struct ip_mreq (group, interface address) or ip_mreqn (with
		// an interface index).
		if len(val) < 8 {
			return linuxerr.EINVAL
		}
		m := tcpip.MembershipOption{MulticastAddr: tcpip.AddrFrom4Slice(val[:4]), InterfaceAddr: ipAddr(val[4:8])}
		if len(val) >= 12 {
			m.NIC = tcpip.NICID(binary.LittleEndian.Uint32(val[8:]))
		}
		if name == linux.IP_ADD_MEMBERSHIP {
			o := tcpip.AddMembershipOption(m)
			return ErrnoOf(s.ep.SetSockOpt(&o))
		}
		o := tcpip.RemoveMembershipOption(m)
		return ErrnoOf(s.ep.SetSockOpt(&o))
	case linux.IP_MULTICAST_IF:
		var o tcpip.MulticastInterfaceOption
		switch {
		case len(val) >= 12: // ip_mreqn
			o.InterfaceAddr = ipAddr(val[4:8])
			o.NIC = tcpip.NICID(binary.LittleEndian.Uint32(val[8:]))
		case len(val) >= 4: // in_addr
			o.InterfaceAddr = ipAddr(val[:4])
		default:
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOpt(&o))
	}
	var v int32
	if len(val) >= 4 {
		v = int32(binary.LittleEndian.Uint32(val))
	} else if len(val) >= 1 {
		// do_ip_setsockopt takes a single byte for these.
		v = int32(val[0])
	} else if name != linux.IP_RECVERR {
		return linuxerr.EINVAL
	}
	switch name {
	case linux.IP_TTL:
		if v == -1 {
			v = 0 // back to the default
		} else if v < 1 || v > 255 {
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.IPv4TTLOption, int(v)))
	case linux.IP_TOS:
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.IPv4TOSOption, int(uint8(v))))
	case linux.IP_RECVTOS:
		so.SetReceiveTOS(v != 0)
	case linux.IP_RECVTTL:
		so.SetReceiveTTL(v != 0)
	case linux.IP_PKTINFO:
		so.SetReceivePacketInfo(v != 0)
	case linux.IP_RECVERR:
		so.SetIPv4RecvError(v != 0)
	case linux.IP_HDRINCL:
		if s.typ != socket.SOCK_RAW {
			return linuxerr.ENOPROTOOPT
		}
		so.SetHeaderIncluded(v != 0)
	case linux.IP_MULTICAST_TTL:
		if v == -1 {
			v = 1
		} else if v < 0 || v > 255 {
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.MulticastTTLOption, int(v)))
	case linux.IP_MULTICAST_LOOP:
		so.SetMulticastLoop(v != 0)
	case linux.IP_MTU_DISCOVER:
		if v < 0 || v > 5 { // IP_PMTUDISC_OMIT
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.MTUDiscoverOption, int(v)))
	default:
		return linuxerr.ENOPROTOOPT
	}
	return nil
}

func (s *Sock) setIPv6(name int, val []byte) error {
	so := s.ep.SocketOptions()
	switch name {
	case linux.IPV6_ADD_MEMBERSHIP, linux.IPV6_DROP_MEMBERSHIP:
		// struct ipv6_mreq: the group and an interface index.
		if len(val) < 20 {
			return linuxerr.EINVAL
		}
		m := tcpip.MembershipOption{MulticastAddr: tcpip.AddrFrom16Slice(val[:16]), NIC: tcpip.NICID(binary.LittleEndian.Uint32(val[16:]))}
		if name == linux.IPV6_ADD_MEMBERSHIP {
			o := tcpip.AddMembershipOption(m)
			return ErrnoOf(s.ep.SetSockOpt(&o))
		}
		o := tcpip.RemoveMembershipOption(m)
		return ErrnoOf(s.ep.SetSockOpt(&o))
	}
	v, err := socket.IntArg(val)
	if err != nil {
		return err
	}
	switch name {
	case linux.IPV6_V6ONLY:
		// Only before the socket has a port (inet_num).
		if a, _ := s.ep.GetLocalAddress(); a.Port != 0 {
			return linuxerr.EINVAL
		}
		so.SetV6Only(v != 0)
	case linux.IPV6_UNICAST_HOPS:
		if v < -1 || v > 255 {
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.IPv6HopLimitOption, int(v)))
	case linux.IPV6_TCLASS:
		if v < -1 || v > 255 {
			return linuxerr.EINVAL
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.IPv6TrafficClassOption, int(max(v, 0))))
	case linux.IPV6_RECVTCLASS:
		so.SetReceiveTClass(v != 0)
	case linux.IPV6_RECVPKTINFO:
		so.SetIPv6ReceivePacketInfo(v != 0)
	case linux.IPV6_RECVHOPLIMIT:
		so.SetReceiveHopLimit(v != 0)
	case linux.IPV6_RECVERR:
		so.SetIPv6RecvError(v != 0)
	case linux.IPV6_MULTICAST_HOPS:
		if v < -1 || v > 255 {
			return linuxerr.EINVAL
		}
		if v == -1 {
			v = 1
		}
		return ErrnoOf(s.ep.SetSockOptInt(tcpip.MulticastTTLOption, int(v)))
	case linux.IPV6_MULTICAST_LOOP:
		so.SetMulticastLoop(v != 0)
	case linux.IPV6_MULTICAST_IF:
		o := tcpip.MulticastInterfaceOption{NIC: tcpip.NICID(v)}
		return ErrnoOf(s.ep.SetSockOpt(&o))
	default:
		return linuxerr.ENOPROTOOPT
	}
	return nil
}

// nicByName returns the number of the interface called name.
func nicByName(name string) (tcpip.NICID, bool) {
	for id, info := range Stack().NICInfo() {
		if info.Name == name {
			return id, true
		}
	}
	return 0, false
}

var _ socket.Socket = (*Sock)(nil)
