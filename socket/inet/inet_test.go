package inet

import (
	"encoding/binary"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/socket"
)

// ctx is a caller that blocks on the channel it is given and whose
// user memory is a byte slice at address 0.
type ctx struct{ mem []byte }

func (*ctx) Block(ready <-chan struct{}) error { <-ready; return nil }
func (c *ctx) CopyIn(a uintptr, b []byte) error {
	if int(a)+len(b) > len(c.mem) {
		return linuxerr.EFAULT
	}
	copy(b, c.mem[a:])
	return nil
}
func (c *ctx) CopyOut(a uintptr, b []byte) error {
	if int(a)+len(b) > len(c.mem) {
		return linuxerr.EFAULT
	}
	copy(c.mem[a:], b)
	return nil
}
func (*ctx) PID() int32 { return 1 }

func newSock(t *testing.T, family, typ, proto int, flags uint32) (*fs.File, *Sock) {
	t.Helper()
	f, err := Create(&ctx{}, family, typ, proto, flags)
	if err != nil {
		t.Fatalf("Create(%d, %d, %d): %v", family, typ, proto, err)
	}
	t.Cleanup(func() { f.DecRef() })
	return f, f.Ops().(*Sock)
}

func in4(ip [4]byte, port uint16) []byte {
	b := make([]byte, sizeofSockaddrIn)
	binary.LittleEndian.PutUint16(b, socket.AF_INET)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], ip[:])
	return b
}

func port(b []byte) uint16 { return binary.BigEndian.Uint16(b[2:]) }

var lo4 = [4]byte{127, 0, 0, 1}

// tcpPair makes a listener on 127.0.0.1 and a connected pair.
func tcpPair(t *testing.T) (lf, cf, sf *fs.File) {
	t.Helper()
	c := &ctx{}
	lf, l := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
	if err := l.Bind(c, nil, in4(lo4, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(c, 8); err != nil {
		t.Fatal(err)
	}
	cf, cs := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
	if err := cs.Connect(c, cf, nil, in4(lo4, port(l.SockName()))); err != nil {
		t.Fatalf("connect: %v", err)
	}
	sf, err := l.Accept(c, lf, 0)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { sf.DecRef() })
	return lf, cf, sf
}

func TestCreateErrors(t *testing.T) {
	c := &ctx{}
	for _, tc := range []struct {
		family, typ, proto int
		want               error
	}{
		{socket.AF_INET, socket.SOCK_STREAM, IPPROTO_UDP, linuxerr.EPROTONOSUPPORT},
		{socket.AF_INET, socket.SOCK_DGRAM, IPPROTO_TCP, linuxerr.EPROTONOSUPPORT},
		{socket.AF_INET, socket.SOCK_SEQPACKET, 0, linuxerr.ESOCKTNOSUPPORT},
		{socket.AF_INET6, socket.SOCK_DGRAM, IPPROTO_ICMP, linuxerr.EPROTONOSUPPORT},
	} {
		if _, err := Create(c, tc.family, tc.typ, tc.proto, 0); err != tc.want {
			t.Errorf("Create(%d, %d, %d) = %v, want %v", tc.family, tc.typ, tc.proto, err, tc.want)
		}
	}
}

func TestTCPStream(t *testing.T) {
	c := &ctx{}
	_, cf, sf := tcpPair(t)
	cs, ss := cf.Ops().(*Sock), sf.Ops().(*Sock)
	if n, err := cs.Write(c, cf, []byte("hello"), 0); n != 5 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	buf := make([]byte, 16)
	var out socket.RecvMsg
	if n, err := ss.Recv(c, sf, buf[:2], socket.MSG_PEEK, &out); n != 2 || err != nil || string(buf[:2]) != "he" {
		t.Fatalf("peek = %d, %v, %q", n, err, buf[:n])
	}
	if n, err := ss.Recv(c, sf, buf[:5], socket.MSG_WAITALL, &out); n != 5 || err != nil || string(buf[:5]) != "hello" {
		t.Fatalf("recv = %d, %v, %q", n, err, buf[:n])
	}
	if out.Addr != nil {
		t.Errorf("a stream's recvfrom gave an address")
	}
	if _, err := ss.Recv(c, sf, buf, socket.MSG_DONTWAIT, &out); err != linuxerr.EAGAIN {
		t.Errorf("empty MSG_DONTWAIT recv: %v, want EAGAIN", err)
	}
	if r := ss.Readiness(sf, fs.EventIn|fs.EventOut); r != fs.EventOut {
		t.Errorf("readiness %#x, want EventOut", r)
	}
	if err := cs.Shutdown(socket.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if n, err := ss.Recv(c, sf, buf, 0, &out); n != 0 || err != nil {
		t.Errorf("recv after the peer's SHUT_WR = %d, %v; want 0 (EOF)", n, err)
	}
	if r := ss.Readiness(sf, fs.EventIn|fs.EventRdHup); r != fs.EventIn|fs.EventRdHup {
		t.Errorf("readiness after SHUT_WR %#x, want EventIn|EventRdHup", r)
	}
	if _, err := cs.Send(c, cf, nil, &socket.SendMsg{Data: socket.Bytes("x"), Flags: socket.MSG_NOSIGNAL}); err != linuxerr.EPIPE {
		t.Errorf("send after SHUT_WR: %v, want EPIPE", err)
	}
}

func TestTCPErrors(t *testing.T) {
	c := &ctx{}
	lf, l := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
	if err := l.Bind(c, nil, in4(lo4, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Bind(c, nil, in4(lo4, 0)); err != linuxerr.EINVAL {
		t.Errorf("second bind: %v, want EINVAL", err)
	}
	if err := l.Listen(c, 1); err != nil {
		t.Fatal(err)
	}
	_, o := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
	if err := o.Bind(c, nil, in4(lo4, port(l.SockName()))); err != linuxerr.EADDRINUSE {
		t.Errorf("bind to a listening port: %v, want EADDRINUSE", err)
	}
	if err := o.Bind(c, nil, in4([4]byte{10, 9, 9, 9}, 0)); err != linuxerr.EADDRNOTAVAIL {
		t.Errorf("bind to an address not ours: %v, want EADDRNOTAVAIL", err)
	}
	if err := o.Bind(c, nil, in4(lo4, 0)[:8]); err != linuxerr.EINVAL {
		t.Errorf("short address: %v, want EINVAL", err)
	}
	if _, err := o.PeerName(); err != linuxerr.ENOTCONN {
		t.Errorf("getpeername unconnected: %v, want ENOTCONN", err)
	}
	lf.SetStatusFlags(lf.Flags() | fs.O_NONBLOCK)
	if _, err := l.Accept(c, lf, 0); err != linuxerr.EAGAIN {
		t.Errorf("non-blocking accept of nothing: %v, want EAGAIN", err)
	}
	// A closed port refuses.
	closed := port(l.SockName())
	lf.DecRef()
	_, r := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
	if err := r.Connect(c, nil, nil, in4(lo4, closed)); err != linuxerr.ECONNREFUSED {
		t.Errorf("connect to a closed port: %v, want ECONNREFUSED", err)
	}
}

func TestTCPNonblockingConnect(t *testing.T) {
	c := &ctx{}
	lf, l := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
	l.Bind(c, nil, in4(lo4, 0))
	l.Listen(c, 1)
	cf, cs := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, fs.O_NONBLOCK)
	addr := in4(lo4, port(l.SockName()))
	if err := cs.Connect(c, cf, nil, addr); err != linuxerr.EINPROGRESS {
		t.Fatalf("non-blocking connect: %v, want EINPROGRESS", err)
	}
	if _, err := fs.WaitReadyDeadline(c, cs.EventQueue(), fs.EventOut, func() bool {
		return cs.Readiness(cf, fs.EventOut) != 0
	}, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if v, _ := cs.GetSockOpt(socket.SOL_SOCKET, socket.SO_ERROR); binary.LittleEndian.Uint32(v) != 0 {
		t.Errorf("SO_ERROR %d after the handshake", binary.LittleEndian.Uint32(v))
	}
	if err := cs.Connect(c, cf, nil, addr); err != nil {
		t.Errorf("connect after the handshake: %v, want 0", err)
	}
	if err := cs.Connect(c, cf, nil, addr); err != linuxerr.EISCONN {
		t.Errorf("connect again: %v, want EISCONN", err)
	}
	sf, err := l.Accept(c, lf, 0)
	if err != nil {
		t.Fatal(err)
	}
	sf.DecRef()
}

func TestUDP(t *testing.T) {
	c := &ctx{}
	af, a := newSock(t, socket.AF_INET, socket.SOCK_DGRAM, 0, 0)
	_, b := newSock(t, socket.AF_INET, socket.SOCK_DGRAM, 0, 0)
	if err := a.Bind(c, nil, in4(lo4, 0)); err != nil {
		t.Fatal(err)
	}
	to := in4(lo4, port(a.SockName()))
	if n, err := b.Send(c, nil, nil, &socket.SendMsg{Data: socket.Bytes("datagram"), Addr: to}); n != 8 || err != nil {
		t.Fatalf("sendto = %d, %v", n, err)
	}
	if v := a.InQ(); v != 8 {
		t.Errorf("SIOCINQ %d, want 8", v)
	}
	buf := make([]byte, 4)
	var out socket.RecvMsg
	n, err := a.Recv(c, af, buf, socket.MSG_TRUNC, &out)
	if n != 8 || err != nil || string(buf) != "data" || out.Flags&socket.MSG_TRUNC == 0 {
		t.Fatalf("recv = %d, %v, %q, flags %#x; want 8, data, MSG_TRUNC", n, err, buf, out.Flags)
	}
	if len(out.Addr) != sizeofSockaddrIn || port(out.Addr) != port(b.SockName()) {
		t.Errorf("sender %v, want port %d", out.Addr, port(b.SockName()))
	}
	if err := a.Listen(c, 1); err != linuxerr.EOPNOTSUPP {
		t.Errorf("listen on UDP: %v, want EOPNOTSUPP", err)
	}
}

func TestOptions(t *testing.T) {
	_, s := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
	get := func(level, name int) int32 {
		t.Helper()
		v, err := s.GetSockOpt(level, name)
		if err != nil {
			t.Fatalf("getsockopt(%d, %d): %v", level, name, err)
		}
		return int32(binary.LittleEndian.Uint32(v))
	}
	if v := get(socket.SOL_SOCKET, socket.SO_TYPE); v != socket.SOCK_STREAM {
		t.Errorf("SO_TYPE %d", v)
	}
	if v := get(socket.SOL_SOCKET, socket.SO_PROTOCOL); v != IPPROTO_TCP {
		t.Errorf("SO_PROTOCOL %d", v)
	}
	if v := get(0, 2); v != defaultTTL { // IP_TTL
		t.Errorf("IP_TTL %d, want %d", v, defaultTTL)
	}
	if err := s.SetSockOpt(socket.SOL_SOCKET, socket.SO_SNDBUF, socket.Int(10000)); err != nil {
		t.Fatal(err)
	}
	if v := get(socket.SOL_SOCKET, socket.SO_SNDBUF); v != 20000 {
		t.Errorf("SO_SNDBUF %d after setting 10000, want 20000 (doubled)", v)
	}
	if err := s.SetSockOpt(6, 1, socket.Int(1)); err != nil { // TCP_NODELAY
		t.Fatal(err)
	}
	if v := get(6, 1); v != 1 {
		t.Errorf("TCP_NODELAY %d", v)
	}
	if err := s.SetSockOpt(6, 4, socket.Int(0)); err != linuxerr.EINVAL { // TCP_KEEPIDLE
		t.Errorf("TCP_KEEPIDLE 0: %v, want EINVAL", err)
	}
	if _, err := s.GetSockOpt(socket.SOL_SOCKET, 9999); err != linuxerr.ENOPROTOOPT {
		t.Errorf("unknown option: %v, want ENOPROTOOPT", err)
	}
	if err := s.SetSockOpt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, make([]byte, 8)); err != linuxerr.EINVAL {
		t.Errorf("short SO_RCVTIMEO: %v, want EINVAL", err)
	}
}

func TestIPv6DualStack(t *testing.T) {
	c := &ctx{}
	lf, l := newSock(t, socket.AF_INET6, socket.SOCK_STREAM, 0, 0)
	any6 := make([]byte, sizeofSockaddrIn6)
	binary.LittleEndian.PutUint16(any6, socket.AF_INET6)
	if err := l.Bind(c, nil, any6); err != nil {
		t.Fatal(err)
	}
	l.Listen(c, 1)
	cf, cs := newSock(t, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
	if err := cs.Connect(c, cf, nil, in4(lo4, port(l.SockName()))); err != nil {
		t.Fatalf("v4 connect to a dual-stack listener: %v", err)
	}
	sf, err := l.Accept(c, lf, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.DecRef()
	peer, _ := sf.Ops().(*Sock).PeerName()
	// ::ffff:127.0.0.1, as inet6_getname shows a v4 peer.
	if len(peer) != sizeofSockaddrIn6 || peer[18] != 0xff || peer[19] != 0xff || peer[20] != 127 {
		t.Errorf("peer %v, want a v4-mapped sockaddr_in6", peer)
	}
}
