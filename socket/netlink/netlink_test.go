package netlink

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"

	"oyako/fs"
	"oyako/socket"
	"oyako/socket/inet"
)

type ctx struct{ pid int32 }

func (ctx) Block(ready <-chan struct{}) error { <-ready; return nil }
func (ctx) CopyIn(uintptr, []byte) error      { return nil }
func (ctx) CopyOut(uintptr, []byte) error     { return nil }
func (c ctx) PID() int32                      { return c.pid }

func newSock(t *testing.T, pid int32) (*fs.File, *Sock) {
	t.Helper()
	f, err := Create(ctx{pid}, socket.SOCK_RAW, linux.NETLINK_ROUTE, fs.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.DecRef() })
	return f, f.Ops().(*Sock)
}

// req is a request message with an rtgenmsg or other body.
func req(typ, flags uint16, seq uint32, body []byte) []byte {
	b := make([]byte, headerLen, headerLen+len(body))
	b = append(b, body...)
	header{Len: uint32(len(b)), Type: typ, Flags: flags, Seq: seq}.put(b)
	return b
}

func send(t *testing.T, f *fs.File, s *Sock, b []byte) {
	t.Helper()
	n, err := s.Send(ctx{1}, f, nil, &socket.SendMsg{Data: socket.Bytes(b), Addr: sockaddr(0, 0)})
	if n != len(b) || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
}

// recvAll reads datagrams until none is left and parses them as Go's
// syscall package does.
func recvAll(t *testing.T, f *fs.File, s *Sock) [][]syscall.NetlinkMessage {
	t.Helper()
	var out [][]syscall.NetlinkMessage
	for {
		buf := make([]byte, 4096)
		var rm socket.RecvMsg
		n, err := s.Recv(ctx{1}, f, buf, 0, &rm)
		if err == linuxerr.EAGAIN {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if pid, _, _ := parseSockaddr(rm.Addr); pid != 0 {
			t.Errorf("sender port %d, want the kernel's 0", pid)
		}
		msgs, perr := syscall.ParseNetlinkMessage(buf[:n])
		if perr != nil {
			t.Fatal(perr)
		}
		out = append(out, msgs)
	}
}

func TestBindAndNames(t *testing.T) {
	f, s := newSock(t, 42)
	if got := s.SockName(); binary.LittleEndian.Uint32(got[4:]) != 0 || len(got) != 12 {
		t.Errorf("unbound name %x", got)
	}
	if err := s.Bind(ctx{42}, nil, []byte{16, 0}); err != linuxerr.EINVAL {
		t.Errorf("short address: %v", err)
	}
	if err := s.Bind(ctx{42}, nil, sockaddr(0, 0)); err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint32(s.SockName()[4:]); got != 42 {
		t.Errorf("autobound to %d, want the process's 42", got)
	}
	// The process's ID taken, the next socket gets a port from -4096
	// down (the first run's -4096; the rover is global, as on Linux).
	_, s2 := newSock(t, 42)
	if err := s2.Bind(ctx{42}, nil, sockaddr(0, 0)); err != nil {
		t.Fatal(err)
	}
	if got := int32(binary.LittleEndian.Uint32(s2.SockName()[4:])); got > -4096 {
		t.Errorf("second socket's port %d, want -4096 or below", got)
	}
	_, s3 := newSock(t, 7)
	if err := s3.Bind(ctx{7}, nil, sockaddr(42, 0)); err != linuxerr.EADDRINUSE {
		t.Errorf("bind to a taken port: %v", err)
	}
	if err := s.Bind(ctx{42}, nil, sockaddr(43, 0)); err != linuxerr.EINVAL {
		t.Errorf("rebind elsewhere: %v", err)
	}
	_ = f
}

func TestDumpLinksAndAddrs(t *testing.T) {
	f, s := newSock(t, 100)
	if err := s.Bind(ctx{100}, nil, sockaddr(0, 0)); err != nil {
		t.Fatal(err)
	}
	send(t, f, s, req(linux.RTM_GETLINK, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 1, []byte{0, 0, 0, 0}))
	// The links come in one datagram, NLMSG_DONE in the next, once the
	// first was read.
	dgrams := recvAll(t, f, s)
	if len(dgrams) != 2 || len(dgrams[1]) != 1 || dgrams[1][0].Header.Type != syscall.NLMSG_DONE {
		t.Fatalf("datagrams: %+v", dgrams)
	}
	m := dgrams[0][0]
	if m.Header.Type != syscall.RTM_NEWLINK || m.Header.Flags != syscall.NLM_F_MULTI || m.Header.Seq != 1 || m.Header.Pid != 100 {
		t.Errorf("link header %+v", m.Header)
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		t.Fatal(err)
	}
	idx := int32(binary.LittleEndian.Uint32(m.Data[4:]))
	flags := binary.LittleEndian.Uint32(m.Data[8:])
	names := map[uint16]string{}
	for _, a := range attrs {
		names[a.Attr.Type] = string(a.Value)
	}
	if idx != 1 || names[syscall.IFLA_IFNAME] != "lo\x00" || flags&syscall.IFF_LOOPBACK == 0 || flags&syscall.IFF_UP == 0 {
		t.Errorf("lo: index %d flags %#x attrs %v", idx, flags, names)
	}
	if mtu := binary.LittleEndian.Uint32([]byte(names[syscall.IFLA_MTU])); mtu != 65536 {
		t.Errorf("lo mtu %d", mtu)
	}

	send(t, f, s, req(linux.RTM_GETADDR, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 2, []byte{0, 0, 0, 0}))
	dgrams = recvAll(t, f, s)
	if len(dgrams) != 2 {
		t.Fatalf("address datagrams: %d", len(dgrams))
	}
	var addrs []string
	for _, m := range dgrams[0] {
		if binary.LittleEndian.Uint32(m.Data[4:]) != 1 {
			continue // not lo's
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			t.Fatal(err)
		}
		// As Go's net.newAddr: IFA_LOCAL when there is one, else the
		// first attribute.
		var ip net.IP
		for _, a := range attrs {
			if a.Attr.Type == syscall.IFA_LOCAL || ip == nil && a.Attr.Type == syscall.IFA_ADDRESS {
				ip = net.IP(a.Value)
			}
		}
		addrs = append(addrs, (&net.IPNet{IP: ip, Mask: net.CIDRMask(int(m.Data[1]), 8*len(ip))}).String())
	}
	if len(addrs) != 2 || addrs[0] != "127.0.0.1/8" || addrs[1] != "::1/128" {
		t.Errorf("addresses %v", addrs)
	}
	// Only IPv6's.
	send(t, f, s, req(linux.RTM_GETADDR, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 3, []byte{socket.AF_INET6, 0, 0, 0}))
	dgrams = recvAll(t, f, s)
	var lo6 int
	for _, m := range dgrams[0] {
		if m.Data[0] != socket.AF_INET6 {
			t.Errorf("an IPv4 address in the IPv6 dump: %+v", m)
		}
		if m.Data[4] == 1 {
			lo6++
		}
	}
	if len(dgrams) != 2 || lo6 != 1 {
		t.Errorf("IPv6 addresses: %+v", dgrams)
	}
	// Routes: lo's IPv4 routes in the local table: 127.0.0.0/8,
	// 127.0.0.1 and the broadcast 127.255.255.255 (other tests may have
	// added interfaces with routes of their own).
	send(t, f, s, req(linux.RTM_GETROUTE, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 4, []byte{socket.AF_INET, 0, 0, 0}))
	var los []syscall.NetlinkMessage
	dgrams = recvAll(t, f, s)
	for _, m := range dgrams[0] {
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range attrs {
			if a.Attr.Type == syscall.RTA_OIF && binary.LittleEndian.Uint32(a.Value) == 1 {
				los = append(los, m)
			}
		}
	}
	if len(dgrams) != 2 || len(los) != 3 || los[0].Data[4] != rtTableLocal || los[2].Data[7] != rtnBroadcast {
		t.Errorf("lo's IPv4 routes: %+v", los)
	}
}

// errorOf parses an NLMSG_ERROR message: the error and the echoed
// request's length.
func errorOf(t *testing.T, m syscall.NetlinkMessage) (int32, int) {
	t.Helper()
	if m.Header.Type != syscall.NLMSG_ERROR {
		t.Fatalf("type %d, want NLMSG_ERROR", m.Header.Type)
	}
	return int32(binary.LittleEndian.Uint32(m.Data)), len(m.Data) - 4
}

func TestErrorsAndAcks(t *testing.T) {
	f, s := newSock(t, 200)
	// An unknown request: EOPNOTSUPP, with the request echoed.
	send(t, f, s, req(0x7e, linux.NLM_F_REQUEST, 9, []byte{0, 0, 0, 0}))
	d := recvAll(t, f, s)
	if len(d) != 1 {
		t.Fatalf("%+v", d)
	}
	if e, n := errorOf(t, d[0][0]); e != -int32(linuxerr.EOPNOTSUPP.Errno()) || n != 20 || d[0][0].Header.Seq != 9 || d[0][0].Header.Pid != binary.LittleEndian.Uint32(s.SockName()[4:]) {
		t.Errorf("error %d, echo %d, header %+v", e, n, d[0][0].Header)
	}
	// A control message with NLM_F_ACK: acknowledged, the echo capped
	// to the header.
	send(t, f, s, req(linux.NLMSG_NOOP, linux.NLM_F_REQUEST|linux.NLM_F_ACK, 10, []byte{1, 2, 3, 4}))
	d = recvAll(t, f, s)
	if e, n := errorOf(t, d[0][0]); e != 0 || n != 16 || d[0][0].Header.Flags != nlmCapped {
		t.Errorf("ack %d, echo %d, flags %#x", e, n, d[0][0].Header.Flags)
	}
	// RTM_GETLINK of one link, by index, and of one that is not there.
	ifi := make([]byte, 16)
	binary.LittleEndian.PutUint32(ifi[4:], 1)
	send(t, f, s, req(linux.RTM_GETLINK, linux.NLM_F_REQUEST, 11, ifi))
	d = recvAll(t, f, s)
	if len(d) != 1 || d[0][0].Header.Type != syscall.RTM_NEWLINK || d[0][0].Header.Flags != 0 {
		t.Errorf("getlink 1: %+v", d)
	}
	binary.LittleEndian.PutUint32(ifi[4:], 99)
	send(t, f, s, req(linux.RTM_GETLINK, linux.NLM_F_REQUEST, 12, ifi))
	d = recvAll(t, f, s)
	if e, _ := errorOf(t, d[0][0]); e != -int32(linuxerr.ENODEV.Errno()) {
		t.Errorf("getlink 99: %d", e)
	}
	// Changing something is not supported.
	send(t, f, s, req(linux.RTM_NEWADDR, linux.NLM_F_REQUEST|linux.NLM_F_ACK, 13, make([]byte, 8)))
	d = recvAll(t, f, s)
	if e, _ := errorOf(t, d[0][0]); e != -int32(linuxerr.EOPNOTSUPP.Errno()) {
		t.Errorf("newaddr: %d", e)
	}
	// A message without NLM_F_REQUEST is ignored; nothing comes back.
	send(t, f, s, req(linux.RTM_GETLINK, linux.NLM_F_DUMP, 14, make([]byte, 4)))
	if d = recvAll(t, f, s); len(d) != 0 {
		t.Errorf("answer to a non-request: %+v", d)
	}
}

func TestTruncAndPeek(t *testing.T) {
	f, s := newSock(t, 300)
	send(t, f, s, req(linux.RTM_GETLINK, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 1, make([]byte, 4)))
	small := make([]byte, 20)
	var rm socket.RecvMsg
	n, err := s.Recv(ctx{1}, f, small, socket.MSG_PEEK|socket.MSG_TRUNC, &rm)
	if err != nil || n <= 20 || rm.Flags&socket.MSG_TRUNC == 0 {
		t.Errorf("peek with MSG_TRUNC: %d %v %#x", n, err, rm.Flags)
	}
	rm = socket.RecvMsg{}
	n, err = s.Recv(ctx{1}, f, small, 0, &rm)
	if err != nil || n != 20 || rm.Flags&socket.MSG_TRUNC == 0 {
		t.Errorf("short read: %d %v %#x", n, err, rm.Flags)
	}
	// What did not fit is gone; DONE follows.
	d := recvAll(t, f, s)
	if len(d) != 1 || d[0][0].Header.Type != syscall.NLMSG_DONE {
		t.Errorf("after the cut datagram: %+v", d)
	}
}

func TestOverrun(t *testing.T) {
	f, s := newSock(t, 500)
	if err := s.SetSockOpt(socket.SOL_SOCKET, socket.SO_RCVBUF, []byte{0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		send(t, f, s, req(linux.NLMSG_NOOP, linux.NLM_F_REQUEST|linux.NLM_F_ACK, uint32(i), nil))
	}
	buf := make([]byte, 4096)
	if _, err := s.Recv(ctx{1}, f, buf, 0, &socket.RecvMsg{}); err != linuxerr.ENOBUFS {
		t.Fatalf("first receive after acks were dropped: %v, want ENOBUFS", err)
	}
	n := 0
	for {
		if _, err := s.Recv(ctx{1}, f, buf, 0, &socket.RecvMsg{}); err != nil {
			break
		}
		n++
	}
	// As many 36-byte acks as fit under the smallest receive buffer
	// (2304 bytes).
	if n != 64 {
		t.Errorf("%d acks kept, want 64", n)
	}
	if s.rmem != 0 {
		t.Errorf("rmem %d after the queue was read", s.rmem)
	}
}

// TestUserPeer sends from one socket to another's port: queued with the
// sender's port, EAGAIN once the receiver's buffer is full.
func TestUserPeer(t *testing.T) {
	fa, a := newSock(t, 600)
	fb, b := newSock(t, 601)
	if err := b.Bind(ctx{601}, nil, sockaddr(0, 0)); err != nil {
		t.Fatal(err)
	}
	b.SetSockOpt(socket.SOL_SOCKET, socket.SO_RCVBUF, []byte{0, 0, 0, 0})
	msg := make([]byte, 1000)
	sent := 0
	for {
		_, err := a.Send(ctx{600}, fa, nil, &socket.SendMsg{Data: socket.Bytes(msg), Addr: sockaddr(601, 0)})
		if err == linuxerr.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sent++
	}
	if sent != 3 {
		t.Errorf("%d messages before EAGAIN, want 3 (2304-byte buffer)", sent)
	}
	var rm socket.RecvMsg
	if n, err := b.Recv(ctx{601}, fb, make([]byte, 2000), 0, &rm); n != 1000 || err != nil {
		t.Errorf("recv: %d %v", n, err)
	}
	if pid, _, _ := parseSockaddr(rm.Addr); pid != 600 {
		t.Errorf("from port %d, want 600", pid)
	}
	if _, err := a.Send(ctx{600}, fa, nil, &socket.SendMsg{Data: socket.Bytes(msg), Addr: sockaddr(9999, 0)}); err != linuxerr.ECONNREFUSED {
		t.Errorf("to no one: %v", err)
	}
}

func TestCreateChecks(t *testing.T) {
	if _, err := Create(ctx{1}, socket.SOCK_STREAM, 0, 0); err != linuxerr.ESOCKTNOSUPPORT {
		t.Errorf("SOCK_STREAM: %v", err)
	}
	if _, err := Create(ctx{1}, socket.SOCK_DGRAM, linux.NETLINK_AUDIT, 0); err != linuxerr.EPROTONOSUPPORT {
		t.Errorf("NETLINK_AUDIT: %v", err)
	}
	if _, err := Create(ctx{1}, socket.SOCK_DGRAM, 99, 0); err != linuxerr.EPROTONOSUPPORT {
		t.Errorf("protocol 99: %v", err)
	}
}

// TestEthernet adds an Ethernet interface as the virtio-net driver does,
// on a subnet of its own, and reads it back: its link, address, routes
// and a neighbour.
func TestEthernet(t *testing.T) {
	const name = "ethnl"
	i, ok := inet.InterfaceByName(name)
	if !ok { // not added by an earlier run (-count)
		_, err := inet.AddInterface(inet.Interface{Name: name, Link: ethernet.New(channel.New(16, 1514, "\x52\x54\x00\x00\x09\x05")),
			Addr: tcpip.AddrFrom4([4]byte{192, 168, 9, 5}), PrefixLen: 24, Gateway: tcpip.AddrFrom4([4]byte{192, 168, 9, 1})})
		if err != nil {
			t.Fatal(err)
		}
		i, _ = inet.InterfaceByName(name)
	}
	idx := byte(i.Index)
	f, s := newSock(t, 400)
	// describe dumps typ and describes the messages about the
	// interface: the fixed header's first 8 bytes, then the attributes.
	describe := func(typ uint16, family byte, ifIndexAt int) []string {
		send(t, f, s, req(typ, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 1, []byte{family, 0, 0, 0}))
		var out []string
		for _, d := range recvAll(t, f, s) {
			for _, m := range d {
				if m.Header.Type == syscall.NLMSG_DONE {
					continue
				}
				var attrs []syscall.NetlinkRouteAttr
				var err error
				if typ == linux.RTM_GETNEIGH {
					// Go's syscall package parses no struct ndmsg.
					for a := m.Data[12:]; len(a) >= 4; {
						n := int(binary.LittleEndian.Uint16(a))
						attrs = append(attrs, syscall.NetlinkRouteAttr{Attr: syscall.RtAttr{Len: uint16(n), Type: binary.LittleEndian.Uint16(a[2:])}, Value: a[4:n]})
						a = a[align(n):]
					}
				} else if attrs, err = syscall.ParseNetlinkRouteAttr(&m); err != nil {
					t.Fatal(err)
				}
				line := fmt.Sprint(m.Data[:8])
				mine := ifIndexAt >= 0 && m.Data[ifIndexAt] == idx
				for _, a := range attrs {
					v := fmt.Sprintf("%x", a.Value)
					switch {
					case a.Attr.Type == syscall.IFLA_IFNAME && typ == linux.RTM_GETLINK, a.Attr.Type == syscall.IFA_LABEL && typ == linux.RTM_GETADDR:
						v = strings.TrimRight(string(a.Value), "\x00")
					case a.Attr.Type == syscall.RTA_OIF && typ == linux.RTM_GETROUTE:
						mine = a.Value[0] == idx
					case len(a.Value) != 4 && len(a.Value) != 6:
						continue // only the addresses and numbers
					}
					line += fmt.Sprintf(" %d=%s", a.Attr.Type, v)
				}
				if mine {
					out = append(out, line)
				}
			}
		}
		return out
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	x := fmt.Sprintf("%02x000000", idx)
	links := describe(linux.RTM_GETLINK, 0, 4)
	if len(links) != 1 || !strings.HasPrefix(links[0], fmt.Sprintf("[0 0 1 0 %d 0 0 0] 3=ethnl 13=e8030000 4=dc050000 ", idx)) ||
		!strings.HasSuffix(links[0], " 1=525400000905 2=ffffffffffff") {
		t.Errorf("link: %q", links)
	}
	check("addresses", describe(linux.RTM_GETADDR, socket.AF_INET, 4), []string{
		fmt.Sprintf("[2 24 128 0 %d 0 0 0] 1=c0a80905 2=c0a80905 4=c0a809ff 3=ethnl 8=80000000", idx),
	})
	// The main table (254) first: the default route and the subnet's;
	// then the local table (255) by address: the address and the
	// broadcast address.
	check("routes", describe(linux.RTM_GETROUTE, socket.AF_INET, -1), []string{
		"[2 0 0 0 254 3 0 1] 15=fe000000 5=c0a80901 4=" + x,
		"[2 24 0 0 254 2 253 1] 15=fe000000 1=c0a80900 7=c0a80905 4=" + x,
		"[2 32 0 0 255 2 254 2] 15=ff000000 1=c0a80905 7=c0a80905 4=" + x,
		"[2 32 0 0 255 2 253 3] 15=ff000000 1=c0a809ff 7=c0a80905 4=" + x,
	})
	// The gateway's entry, as ARP would make it.
	if err := inet.Stack().AddStaticNeighbor(tcpip.NICID(idx), ipv4.ProtocolNumber, tcpip.AddrFrom4([4]byte{192, 168, 9, 1}), "\x52\x55\x0a\x00\x02\x02"); err != nil {
		t.Fatal(err)
	}
	check("neighbours", describe(linux.RTM_GETNEIGH, socket.AF_INET, 4), []string{
		fmt.Sprintf("[2 0 0 0 %d 0 0 0] 1=c0a80901 2=52550a000202", idx),
	})
}

// FuzzToKernel sends arbitrary bytes to the kernel side: nothing may
// panic, and whatever is answered parses as netlink messages.
func FuzzToKernel(f *testing.F) {
	f.Add(req(linux.RTM_GETLINK, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 1, make([]byte, 4)))
	f.Add(req(linux.RTM_GETLINK, linux.NLM_F_REQUEST|linux.NLM_F_ACK, 2, append(make([]byte, 16), 8, 0, 3, 0, 'l', 'o', 0, 0)))
	f.Add(req(linux.RTM_GETADDR, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 3, []byte{socket.AF_INET6}))
	f.Add(req(linux.RTM_GETROUTE, linux.NLM_F_REQUEST|linux.NLM_F_DUMP, 4, []byte{socket.AF_INET}))
	f.Add(append(req(linux.NLMSG_NOOP, linux.NLM_F_REQUEST|linux.NLM_F_ACK, 5, nil), req(200, linux.NLM_F_REQUEST, 6, []byte{1})...))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Create(ctx{1}, socket.SOCK_RAW, linux.NETLINK_ROUTE, fs.O_NONBLOCK)
		if err != nil {
			t.Fatal(err)
		}
		defer fl.DecRef()
		s := fl.Ops().(*Sock)
		s.toKernel(data)
		buf := make([]byte, 65536)
		for {
			n, err := s.Recv(ctx{1}, fl, buf, 0, &socket.RecvMsg{})
			if err != nil {
				break
			}
			if _, err := syscall.ParseNetlinkMessage(buf[:n]); err != nil {
				t.Fatalf("answer does not parse: %v", err)
			}
		}
	})
}
