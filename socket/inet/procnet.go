package inet

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"oyako/fs"
	"oyako/socket"
)

// The network's files in /proc/net and /sys/class/net, in the formats
// Linux prints them (net/core/net-procfs.c, net/ipv6/addrconf.c,
// net/ipv4/fib_trie.c, net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c,
// net/ipv4/udp.c, net/ipv4/raw.c, net/ipv6/datagram.c,
// net/core/net-sysfs.c), as busybox's ifconfig and netstat and other
// readers parse them.
//
// The socket lists come from the stack's registered endpoints, so they
// show what Linux's hash tables hold: listening and connected TCP
// sockets (accepted or not, and those in TIME_WAIT, with inode 0 when no
// file holds them) and bound UDP sockets. Limits: the timer columns,
// retransmit counts and the congestion fields are fixed values, the
// kernel pointer is shown as zeros (as with kptr_restrict), and the UDP
// bucket is the port's low byte.

func init() {
	fs.RegisterProcNet("dev", func(fs.Ctx) []byte { return formatNetDev(Interfaces()) })
	fs.RegisterProcNet("if_inet6", func(fs.Ctx) []byte { return formatIfInet6(Interfaces()) })
	fs.RegisterProcNet("route", func(fs.Ctx) []byte { return formatRoute(Stack().GetRouteTable(), nicNames()) })
	fs.RegisterProcNet("tcp", func(fs.Ctx) []byte { return formatTCP(transportSocks(tcp.ProtocolNumber, ipv4.ProtocolNumber), false) })
	fs.RegisterProcNet("tcp6", func(fs.Ctx) []byte { return formatTCP(transportSocks(tcp.ProtocolNumber, ipv6.ProtocolNumber), true) })
	fs.RegisterProcNet("udp", func(fs.Ctx) []byte { return formatUDP(transportSocks(udp.ProtocolNumber, ipv4.ProtocolNumber), false) })
	fs.RegisterProcNet("udp6", func(fs.Ctx) []byte { return formatUDP(transportSocks(udp.ProtocolNumber, ipv6.ProtocolNumber), true) })
	fs.RegisterProcNet("arp", func(fs.Ctx) []byte { return formatARP(Interfaces()) })
	fs.RegisterProcNet("raw", func(fs.Ctx) []byte { return formatRaw(rawSocks(socket.AF_INET), false) })
	fs.RegisterProcNet("raw6", func(fs.Ctx) []byte { return formatRaw(rawSocks(socket.AF_INET6), true) })
	fs.RegisterSysClass("net", func() []fs.SysDevice { return sysClassNet(Interfaces()) })
}

// nicNames maps the stack's NIC numbers to their names.
func nicNames() map[tcpip.NICID]string {
	m := map[tcpip.NICID]string{}
	for _, i := range Interfaces() {
		m[tcpip.NICID(i.Index)] = i.Name
	}
	return m
}

// formatNetDev is /proc/net/dev (dev_seq_show): a line of counters per
// interface.
func formatNetDev(ifs []Iface) []byte {
	var b strings.Builder
	b.WriteString("Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")
	for _, i := range ifs {
		s := i.Stats
		fmt.Fprintf(&b, "%6s: %7d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n",
			i.Name, s.RxBytes, s.RxPackets, s.RxErrors, s.RxDropped, 0, 0, 0, s.Multicast,
			s.TxBytes, s.TxPackets, s.TxErrors, s.TxDropped, 0, 0, 0, 0)
	}
	return []byte(b.String())
}

// ARP flags (include/uapi/linux/if_arp.h): a complete entry, and a
// permanent one.
const (
	atfCom  = 0x2
	atfPerm = 0x4
)

// formatARP is /proc/net/arp (arp_seq_show): the IPv4 neighbours of the
// interfaces that resolve addresses (lo does not), flags as
// arp_state_to_flags gives them.
func formatARP(ifs []Iface) []byte {
	var b strings.Builder
	b.WriteString("IP address       HW type     Flags       HW address            Mask     Device\n")
	for _, i := range ifs {
		if i.Loopback() || i.Type != linux.ARPHRD_ETHER {
			continue
		}
		ns, err := Stack().Neighbors(tcpip.NICID(i.Index), ipv4.ProtocolNumber)
		if err != nil {
			continue
		}
		slices.SortFunc(ns, func(a, b stack.NeighborEntry) int {
			x, y := a.Addr.As4(), b.Addr.As4()
			return cmp.Compare(binary.BigEndian.Uint32(x[:]), binary.BigEndian.Uint32(y[:]))
		})
		for _, n := range ns {
			flags := 0
			switch n.State {
			case stack.Static:
				flags = atfPerm | atfCom
			case stack.Reachable, stack.Stale, stack.Delay, stack.Probe:
				flags = atfCom
			}
			hw := make([]byte, 6)
			copy(hw, n.LinkAddr)
			fmt.Fprintf(&b, "%-16s 0x%-10x0x%-10x%-17s     *        %s\n", n.Addr.String(), i.Type, flags, macString(hw), i.Name)
		}
	}
	return []byte(b.String())
}

// IPv6 address scopes as __ipv6_addr_type reports them
// (IPV6_ADDR_SCOPE_MASK's bits), which /proc/net/if_inet6 shows.
const (
	ipv6AddrLoopback  = 0x10
	ipv6AddrLinkLocal = 0x20
	ipv6AddrSiteLocal = 0x40
)

// ifaFPermanent is IFA_F_PERMANENT: an address configured, not learned.
const ifaFPermanent = 0x80

// ipv6Scope is the scope type of an IPv6 address.
func ipv6Scope(a tcpip.Address) int {
	b := a.As16()
	switch {
	case a == tcpip.AddrFrom16([16]byte{15: 1}):
		return ipv6AddrLoopback
	case b[0] == 0xfe && b[1]&0xc0 == 0x80:
		return ipv6AddrLinkLocal
	case b[0] == 0xfe && b[1]&0xc0 == 0xc0:
		return ipv6AddrSiteLocal
	}
	return 0
}

// formatIfInet6 is /proc/net/if_inet6 (if6_seq_show): a line per IPv6
// address.
func formatIfInet6(ifs []Iface) []byte {
	var b strings.Builder
	for _, i := range ifs {
		for _, a := range i.Addrs {
			if a.Address.Len() != 16 {
				continue
			}
			x := a.Address.As16()
			fmt.Fprintf(&b, "%x %02x %02x %02x %02x %8s\n", x[:], i.Index, a.PrefixLen, ipv6Scope(a.Address), ifaFPermanent, i.Name)
		}
	}
	return []byte(b.String())
}

// Route flags (include/uapi/linux/route.h).
const (
	rtfUp      = 0x1
	rtfGateway = 0x2
	rtfHost    = 0x4
)

// be32 is an IPv4 address as the __be32 Linux prints with %08X on a
// little-endian machine: the bytes in reverse.
func be32(a [4]byte) uint32 { return binary.LittleEndian.Uint32(a[:]) }

// formatRoute is /proc/net/route (fib_route_seq_show): the IPv4 routes
// of the main table, each line padded to 127 columns. lo's routes are
// in Linux's local table, which the file does not show.
func formatRoute(routes []tcpip.Route, names map[tcpip.NICID]string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%-127s\n", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT")
	for _, r := range mainRoutes4(routes) {
		flags := rtfUp
		var gw [4]byte
		if r.Gateway.Len() == 4 {
			flags |= rtfGateway
			gw = r.Gateway.As4()
		}
		if r.Destination.Prefix() == 32 {
			flags |= rtfHost
		}
		dst := r.Destination.ID().As4()
		m := r.Destination.Mask()
		mask := [4]byte(m.AsSlice())
		line := fmt.Sprintf("%s\t%08X\t%08X\t%04X\t%d\t%d\t%d\t%08X\t%d\t%d\t%d",
			names[r.NIC], be32(dst), be32(gw), flags, 0, 0, 0, be32(mask), 0, 0, 0)
		fmt.Fprintf(&b, "%-127s\n", line)
	}
	return []byte(b.String())
}

// mainRoutes4 are the IPv4 routes of Linux's main table: the stack's,
// less those of lo, in the order the FIB trie walks them (by
// destination, the shorter prefix first).
func mainRoutes4(routes []tcpip.Route) []tcpip.Route {
	var out []tcpip.Route
	for _, r := range routes {
		if r.Destination.ID().Len() == 4 && r.NIC != LoopbackNIC {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b tcpip.Route) int {
		da, db := a.Destination.ID().As4(), b.Destination.ID().As4()
		if c := cmp.Compare(binary.BigEndian.Uint32(da[:]), binary.BigEndian.Uint32(db[:])); c != 0 {
			return c
		}
		return cmp.Compare(a.Destination.Prefix(), b.Destination.Prefix())
	})
	return out
}

// transportSock is a TCP or UDP endpoint as the socket files show it.
type transportSock struct {
	local, remote tcpip.FullAddress
	state         uint32 // TCP_* (include/net/tcp_states.h)
	txQueue       int
	rxQueue       int
	uid           uint32 // the owner: 0, as inet.Sock does not record its creator
	ino           uint64
}

// Linux's TCP states that the files show (include/net/tcp_states.h).
const (
	tcpEstablished = 1
	tcpSynSent     = 2
	tcpTimeWait    = 6
	tcpClose       = 7
	tcpListen      = 10
)

// transportSocks lists the stack's endpoints of transport protocol
// trans created for network protocol net (an IPv6 socket that also
// takes IPv4 is in the IPv6 file only, as on Linux), in socket-table
// order: listeners first, then by local port.
func transportSocks(trans tcpip.TransportProtocolNumber, net tcpip.NetworkProtocolNumber) []transportSock {
	// The inode of the socket file that holds each endpoint; an
	// endpoint no file holds (a connection not yet accepted, one in
	// TIME_WAIT) shows 0, as on Linux.
	inos := map[tcpip.Endpoint]uint64{}
	ForEach(func(s *Sock) { inos[s.Endpoint()] = s.Ino() })
	seen := map[stack.TransportEndpoint]bool{}
	var out []transportSock
	for _, te := range Stack().RegisteredEndpoints() {
		if seen[te] {
			continue
		}
		seen[te] = true
		ep, ok := te.(tcpip.Endpoint)
		if !ok {
			continue
		}
		info, ok := ep.Info().(*stack.TransportEndpointInfo)
		if !ok || info.TransProto != trans || info.NetProto != net {
			continue
		}
		ts := describeEndpoint(ep, info)
		ts.ino = inos[ep]
		out = append(out, ts)
	}
	slices.SortStableFunc(out, func(a, b transportSock) int {
		if la, lb := a.state == tcpListen, b.state == tcpListen; la != lb {
			if la {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.local.Port, b.local.Port)
	})
	return out
}

// describeEndpoint reads what the files show of ep.
func describeEndpoint(ep tcpip.Endpoint, info *stack.TransportEndpointInfo) transportSock {
	id := info.ID
	s := transportSock{
		local:  tcpip.FullAddress{Addr: id.LocalAddress, Port: id.LocalPort},
		remote: tcpip.FullAddress{Addr: id.RemoteAddress, Port: id.RemotePort},
	}
	if info.TransProto == tcp.ProtocolNumber {
		s.state = uint32(tcpState(ep.State()))
	} else {
		s.state = tcpClose
		if id.RemotePort != 0 {
			s.state = tcpEstablished
		}
	}
	if s.state != tcpListen {
		if v, err := ep.GetSockOptInt(tcpip.ReceiveQueueSizeOption); err == nil {
			s.rxQueue = v
		}
		if v, err := ep.GetSockOptInt(tcpip.SendQueueSizeOption); err == nil {
			s.txQueue = v
		}
	}
	return s
}

// hexAddr4 and hexAddr6 print an address as the files do: %08X of each
// __be32 word. A v6 file shows an IPv4 address in its v4-mapped form.
func hexAddr4(a tcpip.Address) string {
	var x [4]byte
	if a.Len() == 4 {
		x = a.As4()
	}
	return fmt.Sprintf("%08X", be32(x))
}

func hexAddr6(a tcpip.Address) string {
	var x [16]byte
	switch a.Len() {
	case 16:
		x = a.As16()
	case 4:
		x[10], x[11] = 0xff, 0xff
		v4 := a.As4()
		copy(x[12:], v4[:])
	}
	var b strings.Builder
	for i := 0; i < 16; i += 4 {
		fmt.Fprintf(&b, "%08X", be32([4]byte(x[i:i+4])))
	}
	return b.String()
}

func hexAddr(a tcpip.Address, v6 bool) string {
	if v6 {
		return hexAddr6(a)
	}
	return hexAddr4(a)
}

// sockTable writes a socket file: a header, then a line per socket.
// The IPv4 files pad their lines to a width (seq_setwidth and seq_pad);
// the IPv6 files and raw do not.
type sockTable struct {
	b     strings.Builder
	width int
}

// dgramCols are the UDP and raw files' columns after the addresses.
const dgramCols = "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"

func newSockTable(v6 bool, width int, cols string) *sockTable {
	t := &sockTable{}
	if v6 {
		t.line("  sl  local_address                         remote_address                        " + cols)
	} else {
		t.width = width
		t.line("  sl  local_address rem_address   " + cols)
	}
	return t
}

func (t *sockTable) line(s string) { fmt.Fprintf(&t.b, "%-*s\n", t.width, s) }

func (t *sockTable) bytes() []byte { return []byte(t.b.String()) }

// formatTCP is /proc/net/tcp (tcp4_seq_show, lines padded to 149
// columns) or tcp6 (tcp6_seq_show, not padded).
func formatTCP(socks []transportSock, v6 bool) []byte {
	t := newSockTable(v6, 149, "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode")
	for n, s := range socks {
		var line string
		addrs := fmt.Sprintf("%4d: %s:%04X %s:%04X %02X", n, hexAddr(s.local.Addr, v6), s.local.Port, hexAddr(s.remote.Addr, v6), s.remote.Port, s.state)
		switch s.state {
		case tcpTimeWait:
			// get_timewait4_sock: the timer is TIME_WAIT's (3).
			line = fmt.Sprintf("%s %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x", addrs, 0, 0, 3, 0, 0, 0, 0, 0, 3, 0)
		case tcpListen:
			// rto, ato, quick ack and pingpong, cwnd, and the fast
			// open queue's length for a listener.
			line = fmt.Sprintf("%s %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d %d %d %d %d", addrs,
				s.txQueue, s.rxQueue, 0, 0, 0, s.uid, 0, s.ino, 1, 0, 100, 0, 0, 10, 0)
		default:
			line = fmt.Sprintf("%s %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d %d %d %d %d", addrs,
				s.txQueue, s.rxQueue, 0, 0, 0, s.uid, 0, s.ino, 1, 0, 20, 4, 0, 10, -1)
		}
		t.line(line)
	}
	return t.bytes()
}

// formatUDP is /proc/net/udp (udp4_seq_show, lines padded to 127
// columns) or udp6 (udp6_seq_show → __ip6_dgram_sock_seq_show).
func formatUDP(socks []transportSock, v6 bool) []byte {
	t := newSockTable(v6, 127, dgramCols)
	slices.SortStableFunc(socks, func(a, b transportSock) int { return cmp.Compare(a.local.Port&0xff, b.local.Port&0xff) })
	for _, s := range socks {
		line := fmt.Sprintf("%5d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d",
			s.local.Port&0xff, hexAddr(s.local.Addr, v6), s.local.Port, hexAddr(s.remote.Addr, v6), s.remote.Port, s.state,
			s.txQueue, s.rxQueue, 0, 0, 0, s.uid, 0, s.ino, 2, 0, 0)
		t.line(line)
	}
	return t.bytes()
}

// rawSocks lists the raw sockets of family: their port is the
// protocol, their bucket in the raw table.
func rawSocks(family int) []transportSock {
	var out []transportSock
	ForEach(func(s *Sock) {
		if s.Type() != socket.SOCK_RAW || s.Family() != family {
			return
		}
		ts := transportSock{state: tcpClose, ino: s.Ino()}
		if a, err := s.Endpoint().GetLocalAddress(); err == nil {
			ts.local.Addr = a.Addr
		}
		if a, err := s.Endpoint().GetRemoteAddress(); err == nil {
			ts.remote.Addr, ts.state = a.Addr, tcpEstablished
		}
		ts.local.Port = uint16(s.Protocol())
		out = append(out, ts)
	})
	slices.SortFunc(out, func(a, b transportSock) int {
		return cmp.Or(cmp.Compare(a.local.Port, b.local.Port), cmp.Compare(a.ino, b.ino))
	})
	return out
}

// formatRaw is /proc/net/raw (raw_seq_show) or raw6 (raw6_seq_show).
func formatRaw(socks []transportSock, v6 bool) []byte {
	t := newSockTable(v6, 0, dgramCols)
	for _, s := range socks {
		t.line(fmt.Sprintf("%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d",
			s.local.Port&0xff, hexAddr(s.local.Addr, v6), s.local.Port, hexAddr(s.remote.Addr, v6), 0, s.state,
			s.txQueue, s.rxQueue, 0, 0, 0, s.uid, 0, s.ino, 2, 0, 0))
	}
	return t.bytes()
}

// IF_OPER_* as /sys/class/net/*/operstate names them (operstates[] of
// net/core/net-sysfs.c): lo never sets its state, so it is unknown.
func operstate(i *Iface) string {
	switch {
	case i.Loopback():
		return "unknown"
	case i.Running():
		return "up"
	}
	return "down"
}

// macString is a link-layer address as sysfs and ip print it.
func macString(a []byte) string {
	parts := make([]string, len(a))
	for i, x := range a {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, ":")
}

// sysClassNet is /sys/class/net: a directory per interface with the
// attributes of net-sysfs.c that readers of it use, in the order ls
// lists them.
func sysClassNet(ifs []Iface) []fs.SysDevice {
	var out []fs.SysDevice
	for _, i := range ifs {
		carrier := 0
		if i.Running() {
			carrier = 1
		}
		// dev->flags: what was set, without the state-derived
		// IFF_RUNNING and IFF_LOWER_UP that dev_get_flags adds.
		flags := i.Flags &^ (linux.IFF_RUNNING | linux.IFF_LOWER_UP)
		attrs := []fs.SysAttr{
			{Name: "addr_assign_type", Value: "0"},
			{Name: "addr_len", Value: fmt.Sprint(len(i.HWAddr))},
			{Name: "address", Value: macString(i.HWAddr)},
			{Name: "broadcast", Value: macString(i.Broadcast)},
			{Name: "carrier", Value: fmt.Sprint(carrier)},
			{Name: "dev_id", Value: "0x0"},
			{Name: "dev_port", Value: "0"},
			{Name: "dormant", Value: "0"},
			{Name: "flags", Value: fmt.Sprintf("%#x", flags)},
			{Name: "ifalias", Value: ""},
			{Name: "ifindex", Value: fmt.Sprint(i.Index)},
			{Name: "iflink", Value: fmt.Sprint(i.Index)},
			{Name: "link_mode", Value: "0"},
			{Name: "mtu", Value: fmt.Sprint(i.MTU)},
			{Name: "netdev_group", Value: "0"},
			{Name: "operstate", Value: operstate(&i)},
			{Name: "proto_down", Value: "0"},
			{Name: "tx_queue_len", Value: fmt.Sprint(i.TxQueueLen)},
			{Name: "type", Value: fmt.Sprint(i.Type)},
			{Name: "uevent", Value: fmt.Sprintf("INTERFACE=%s\nIFINDEX=%d", i.Name, i.Index)},
		}
		for k := range attrs {
			attrs[k].Value += "\n"
		}
		out = append(out, fs.SysDevice{Name: i.Name, Attrs: attrs})
	}
	return out
}
