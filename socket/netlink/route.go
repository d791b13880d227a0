package netlink

import (
	"cmp"
	"encoding/binary"
	"slices"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"oyako/socket"
	"oyako/socket/inet"
)

// NETLINK_ROUTE's kernel side (net/core/rtnetlink.c, net/ipv4/devinet.c,
// net/ipv6/addrconf.c, net/ipv4/fib_trie.c, net/core/neighbour.c): dumps
// of the links, their addresses, the routes and the neighbours, and
// RTM_GETLINK of one link. Nothing can be
// changed: a request to is EOPNOTSUPP, as is any other request.

// rtmMax is RTM_MAX: types past it are EOPNOTSUPP before anything else.
const rtmMax = 123 // RTM_GETTUNNEL (122)'s group of four, to its end

// Route table, protocol, scope and type values (include/uapi/linux/
// rtnetlink.h).
const (
	rtTableMain  = 254
	rtTableLocal = 255

	rtprotKernel = 2
	rtprotBoot   = 3

	rtScopeUniverse = 0
	rtScopeLink     = 253
	rtScopeHost     = 254

	rtnUnicast   = 1
	rtnLocal     = 2
	rtnBroadcast = 3

	ifOperUnknown = 0
	ifOperDown    = 2
	ifOperUp      = 6

	ifaFPermanent = 0x80

	iflaLinkmode    = 17
	iflaGroup       = 27
	iflaPromiscuity = 30
	iflaNumTxQueues = 31
	iflaNumRxQueues = 32
	iflaMinMTU      = 50
	iflaMaxMTU      = 51
	iflaMap         = 14
	iflaStats       = 7
	iflaBroadcast   = 2
)

// request is what a message to the kernel leads to: an error (nil for
// success), a reply to queue before the acknowledgement, or a dump's
// messages (the dump starts, and no acknowledgement follows).
type request struct {
	err    error
	reply  []byte
	isDump bool
	dump   [][]byte
}

// rtnetlink is rtnetlink_rcv_msg for request msg (a whole message, its
// header checked) from port pid.
func rtnetlink(msg []byte, pid uint32) request {
	h := parseHeader(msg)
	if h.Type > rtmMax {
		return request{err: linuxerr.EOPNOTSUPP}
	}
	body := msg[headerLen:h.Len]
	if len(body) < 1 {
		return request{} // every message needs at least a family byte
	}
	family := int(body[0])
	get := (h.Type-linux.RTM_NEWLINK)&3 == 2
	if get && h.Flags&linux.NLM_F_DUMP != 0 {
		switch h.Type {
		case linux.RTM_GETLINK:
			return request{isDump: true, dump: linkMessages(h.Seq, pid)}
		case linux.RTM_GETADDR:
			return request{isDump: true, dump: addrMessages(family, h.Seq, pid)}
		case linux.RTM_GETROUTE:
			return request{isDump: true, dump: routeMessages(family, h.Seq, pid)}
		case linux.RTM_GETNEIGH:
			return request{isDump: true, dump: neighMessages(family, h.Seq, pid)}
		}
		return request{err: linuxerr.EOPNOTSUPP}
	}
	if h.Type == linux.RTM_GETLINK {
		return getLink(body, h.Seq, pid)
	}
	return request{err: linuxerr.EOPNOTSUPP}
}

// getLink is rtnl_getlink: the link named by ifi_index, or else by
// IFLA_IFNAME; EINVAL for a message too short or naming none, ENODEV
// for no such link.
func getLink(body []byte, seq, pid uint32) request {
	if len(body) < 16 {
		return request{err: linuxerr.EINVAL}
	}
	index := int32(binary.LittleEndian.Uint32(body[4:]))
	var name string
	for a := body[16:]; len(a) >= 4; {
		n := int(binary.LittleEndian.Uint16(a))
		if n < 4 || n > len(a) {
			break
		}
		if binary.LittleEndian.Uint16(a[2:])&linux.NLA_TYPE_MASK == linux.IFLA_IFNAME {
			v := a[4:n]
			for i, c := range v {
				if c == 0 {
					v = v[:i]
					break
				}
			}
			name = string(v)
		}
		a = a[min(align(n), len(a)):]
	}
	var i inet.Iface
	var ok bool
	switch {
	case index > 0:
		i, ok = inet.InterfaceByIndex(index)
	case name != "":
		i, ok = inet.InterfaceByName(name)
	default:
		return request{err: linuxerr.EINVAL}
	}
	if !ok {
		return request{err: linuxerr.ENODEV}
	}
	return request{reply: linkMessage(&i, linux.RTM_NEWLINK, 0, seq, pid)}
}

// linkMessages is rtnl_dump_ifinfo: an RTM_NEWLINK per interface.
func linkMessages(seq, pid uint32) [][]byte {
	var out [][]byte
	for _, i := range inet.Interfaces() {
		out = append(out, linkMessage(&i, linux.RTM_NEWLINK, linux.NLM_F_MULTI, seq, pid))
	}
	return out
}

// linkMessage is rtnl_fill_ifinfo's message for interface i, its
// attributes in Linux's order.
func linkMessage(i *inet.Iface, typ, flags uint16, seq, pid uint32) []byte {
	var ifi [16]byte // struct ifinfomsg
	ifi[0] = socket.AF_UNSPEC
	binary.LittleEndian.PutUint16(ifi[2:], i.Type)
	binary.LittleEndian.PutUint32(ifi[4:], uint32(i.Index))
	binary.LittleEndian.PutUint32(ifi[8:], i.Flags)
	m := newMessage(typ, flags, seq, pid, ifi[:])
	m.str(linux.IFLA_IFNAME, i.Name)
	m.u32(linux.IFLA_TXQLEN, i.TxQueueLen)
	oper := uint8(ifOperUnknown)
	if !i.Loopback() {
		oper = ifOperDown
		if i.Running() {
			oper = ifOperUp
		}
	}
	m.u8(linux.IFLA_OPERSTATE, oper)
	m.u8(iflaLinkmode, 0)
	m.u32(linux.IFLA_MTU, i.MTU)
	m.u32(iflaMinMTU, 0)
	m.u32(iflaMaxMTU, 0)
	m.u32(iflaGroup, 0)
	m.u32(iflaPromiscuity, 0)
	m.u32(iflaNumTxQueues, 1)
	m.u32(iflaNumRxQueues, 1)
	carrier := uint8(0)
	if i.Running() {
		carrier = 1
	}
	m.u8(linux.IFLA_CARRIER, carrier)
	m.attr(iflaMap, make([]byte, 32)) // struct rtnl_link_ifmap: nothing to map
	if len(i.HWAddr) > 0 {
		m.attr(linux.IFLA_ADDRESS, i.HWAddr)
		m.attr(iflaBroadcast, i.Broadcast)
	}
	qdisc := "noqueue"
	if !i.Loopback() {
		qdisc = "pfifo_fast"
	}
	m.str(linux.IFLA_QDISC, qdisc)
	st := i.Stats
	stats := []uint64{st.RxPackets, st.TxPackets, st.RxBytes, st.TxBytes, st.RxErrors, st.TxErrors, st.RxDropped, st.TxDropped, st.Multicast}
	s64 := make([]byte, 8*24) // struct rtnl_link_stats64 as far as rx_nohandler
	s32 := make([]byte, 4*24) // struct rtnl_link_stats
	for k, v := range stats {
		binary.LittleEndian.PutUint64(s64[8*k:], v)
		binary.LittleEndian.PutUint32(s32[4*k:], uint32(v))
	}
	m.attr(linux.IFLA_STATS64, s64)
	m.attr(iflaStats, s32)
	return m.bytes()
}

// addrMessages is the RTM_GETADDR dump (inet_dump_ifaddr, then
// inet6_dump_ifaddr, for AF_UNSPEC by rtnl_dump_all): an RTM_NEWADDR
// per address of the family asked for, IPv4 first.
func addrMessages(family int, seq, pid uint32) [][]byte {
	var out [][]byte
	ifs := inet.Interfaces()
	if family != socket.AF_INET6 {
		for _, i := range ifs {
			for _, a := range i.Addrs4() {
				out = append(out, addr4Message(&i, a, seq, pid))
			}
		}
	}
	if family != socket.AF_INET {
		for _, i := range ifs {
			for _, a := range i.Addrs {
				if a.Address.Len() == 16 {
					out = append(out, addr6Message(&i, a, seq, pid))
				}
			}
		}
	}
	return out
}

// ifaddrmsg is a struct ifaddrmsg.
func ifaddrmsg(family, prefixLen int, flags, scope uint8, index int32) []byte {
	b := make([]byte, 8)
	b[0], b[1], b[2], b[3] = byte(family), byte(prefixLen), flags, scope
	binary.LittleEndian.PutUint32(b[4:], uint32(index))
	return b
}

// cacheInfo is an address's struct ifa_cacheinfo: lifetimes forever
// (INFINITY_LIFE_TIME), made at boot.
func cacheInfo() []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b, ^uint32(0))
	binary.LittleEndian.PutUint32(b[4:], ^uint32(0))
	return b
}

// addr4Message is inet_fill_ifaddr's message: scope host for 127/8
// (as the kernel gives lo's address), IFA_LOCAL after IFA_ADDRESS
// (readers such as Go's take the address from the attribute they find
// first or from IFA_LOCAL).
func addr4Message(i *inet.Iface, a inet.IfAddr4, seq, pid uint32) []byte {
	scope := uint8(rtScopeUniverse)
	if a.Local[0] == 127 {
		scope = rtScopeHost
	}
	m := newMessage(linux.RTM_NEWADDR, linux.NLM_F_MULTI, seq, pid, ifaddrmsg(socket.AF_INET, a.PrefixLen, ifaFPermanent, scope, i.Index))
	m.attr(linux.IFA_ADDRESS, a.Local[:])
	m.attr(linux.IFA_LOCAL, a.Local[:])
	if a.Broadcast != [4]byte{} {
		m.attr(linux.IFA_BROADCAST, a.Broadcast[:])
	}
	m.str(linux.IFA_LABEL, i.Name)
	m.u32(linux.IFA_FLAGS, ifaFPermanent)
	m.attr(linux.IFA_CACHEINFO, cacheInfo())
	return m.bytes()
}

// addr6Message is inet6_fill_ifaddr's message.
func addr6Message(i *inet.Iface, a tcpip.AddressWithPrefix, seq, pid uint32) []byte {
	x := a.Address.As16()
	scope := uint8(rtScopeUniverse)
	switch {
	case a.Address == tcpip.AddrFrom16([16]byte{15: 1}):
		scope = rtScopeHost
	case x[0] == 0xfe && x[1]&0xc0 == 0x80:
		scope = rtScopeLink
	}
	m := newMessage(linux.RTM_NEWADDR, linux.NLM_F_MULTI, seq, pid, ifaddrmsg(socket.AF_INET6, a.PrefixLen, ifaFPermanent, scope, i.Index))
	m.attr(linux.IFA_ADDRESS, x[:])
	m.attr(linux.IFA_CACHEINFO, cacheInfo())
	m.u32(linux.IFA_FLAGS, ifaFPermanent)
	return m.bytes()
}

// route is an entry of Linux's FIB as a route message shows it.
type route struct {
	table, proto, scope, typ uint8
	dst                      tcpip.Address
	prefixLen                int
	prefSrc, gateway         tcpip.Address
	oif                      int32
	priority                 uint32 // 0: no RTA_PRIORITY
}

// routes4 are the IPv4 routes as Linux's FIB holds them: the stack's
// routes in the main table (through a gateway: from boot-time
// configuration; else a subnet's, from the kernel, with the interface's
// address as preferred source), except lo's, which are local routes of
// the local table; and for each address, the local routes
// fib_add_ifaddr adds there: the address itself and its subnet's
// broadcast address. In the order inet_dump_fib walks them: the main
// table, then the local one, each by destination and prefix length.
func routes4(ifs map[tcpip.NICID]*inet.Iface, list []inet.Iface) []route {
	var out []route
	for _, r := range inet.Stack().GetRouteTable() {
		if r.Destination.ID().Len() != 4 {
			continue
		}
		i := ifs[r.NIC]
		e := route{table: rtTableMain, proto: rtprotKernel, scope: rtScopeLink, typ: rtnUnicast,
			dst: r.Destination.ID(), prefixLen: r.Destination.Prefix(), oif: int32(r.NIC)}
		switch {
		case r.Gateway.Len() != 0:
			e.proto, e.scope, e.gateway = rtprotBoot, rtScopeUniverse, r.Gateway
		case i != nil && i.Loopback():
			e.table, e.scope, e.typ = rtTableLocal, rtScopeHost, rtnLocal
		}
		if r.Gateway.Len() == 0 && i != nil {
			if a, ok := i.Addr4(); ok {
				e.prefSrc = a.Address
			}
		}
		out = append(out, e)
	}
	for _, i := range list {
		for _, a := range i.Addrs4() {
			local := tcpip.AddrFrom4(a.Local)
			out = append(out, route{table: rtTableLocal, proto: rtprotKernel, scope: rtScopeHost, typ: rtnLocal,
				dst: local, prefixLen: 32, prefSrc: local, oif: i.Index})
			if a.PrefixLen < 31 {
				m := uint32(0)
				if a.PrefixLen > 0 {
					m = ^uint32(0) << (32 - a.PrefixLen)
				}
				var bc [4]byte
				binary.BigEndian.PutUint32(bc[:], binary.BigEndian.Uint32(a.Local[:])|^m)
				out = append(out, route{table: rtTableLocal, proto: rtprotKernel, scope: rtScopeLink, typ: rtnBroadcast,
					dst: tcpip.AddrFrom4(bc), prefixLen: 32, prefSrc: local, oif: i.Index})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b route) int {
		da, db := a.dst.As4(), b.dst.As4()
		return cmp.Or(cmp.Compare(a.table, b.table),
			cmp.Compare(binary.BigEndian.Uint32(da[:]), binary.BigEndian.Uint32(db[:])),
			cmp.Compare(a.prefixLen, b.prefixLen))
	})
	return out
}

// routes6 are the stack's IPv6 routes, in the main table with
// IP6_RT_PRIO_USER's metric.
func routes6() []route {
	var out []route
	for _, r := range inet.Stack().GetRouteTable() {
		if r.Destination.ID().Len() != 16 {
			continue
		}
		e := route{table: rtTableMain, proto: rtprotKernel, scope: rtScopeUniverse, typ: rtnUnicast,
			dst: r.Destination.ID(), prefixLen: r.Destination.Prefix(), oif: int32(r.NIC), priority: 256}
		if r.Gateway.Len() != 0 {
			e.proto, e.gateway = rtprotBoot, r.Gateway
		}
		out = append(out, e)
	}
	return out
}

// routeMessages is the RTM_GETROUTE dump (inet_dump_fib, then
// inet6_dump_fib, for the family asked for).
func routeMessages(family int, seq, pid uint32) [][]byte {
	ifs := map[tcpip.NICID]*inet.Iface{}
	list := inet.Interfaces()
	for k := range list {
		ifs[tcpip.NICID(list[k].Index)] = &list[k]
	}
	var rs []route
	if family != socket.AF_INET6 {
		rs = append(rs, routes4(ifs, list)...)
	}
	if family != socket.AF_INET {
		rs = append(rs, routes6()...)
	}
	var out [][]byte
	for _, r := range rs {
		out = append(out, routeMessage(&r, seq, pid))
	}
	return out
}

// routeMessage is fib_dump_info's (or rt6_fill_node's) message for r.
func routeMessage(r *route, seq, pid uint32) []byte {
	fam := socket.AF_INET
	if r.dst.Len() == 16 {
		fam = socket.AF_INET6
	}
	rtm := []byte{byte(fam), byte(r.prefixLen), 0, 0, r.table, r.proto, r.scope, r.typ, 0, 0, 0, 0}
	m := newMessage(linux.RTM_NEWROUTE, linux.NLM_F_MULTI, seq, pid, rtm)
	m.u32(linux.RTA_TABLE, uint32(r.table))
	if r.prefixLen > 0 {
		m.attr(linux.RTA_DST, r.dst.AsSlice())
	}
	if r.priority != 0 {
		m.u32(linux.RTA_PRIORITY, r.priority)
	}
	if r.prefSrc.Len() != 0 {
		m.attr(linux.RTA_PREFSRC, r.prefSrc.AsSlice())
	}
	if r.gateway.Len() != 0 {
		m.attr(linux.RTA_GATEWAY, r.gateway.AsSlice())
	}
	m.u32(linux.RTA_OIF, uint32(r.oif))
	return m.bytes()
}

// Neighbour states (NUD_*) and attributes (NDA_*) of
// include/uapi/linux/neighbour.h.
const (
	nudIncomplete = 0x01
	nudReachable  = 0x02
	nudStale      = 0x04
	nudDelay      = 0x08
	nudProbe      = 0x10
	nudFailed     = 0x20
	nudPermanent  = 0x80

	ndaDst    = 1
	ndaLladdr = 2
)

// neighMessages is the RTM_GETNEIGH dump (neigh_dump_info): the IPv4
// neighbours (ARP), then the IPv6 ones, of the family asked for, of the
// interfaces that resolve addresses.
func neighMessages(family int, seq, pid uint32) [][]byte {
	var out [][]byte
	for _, fam := range []int{socket.AF_INET, socket.AF_INET6} {
		if family != socket.AF_UNSPEC && family != fam {
			continue
		}
		proto := ipv4.ProtocolNumber
		if fam == socket.AF_INET6 {
			proto = ipv6.ProtocolNumber
		}
		for _, i := range inet.Interfaces() {
			if i.Loopback() {
				continue
			}
			ns, err := inet.Stack().Neighbors(tcpip.NICID(i.Index), proto)
			if err != nil {
				continue
			}
			for _, n := range ns {
				out = append(out, neighMessage(fam, &i, n, seq, pid))
			}
		}
	}
	return out
}

// neighMessage is neigh_fill_info's message for n: struct ndmsg, the
// address, and the link-layer address once it is known.
func neighMessage(family int, i *inet.Iface, n stack.NeighborEntry, seq, pid uint32) []byte {
	var state uint16
	switch n.State {
	case stack.Incomplete:
		state = nudIncomplete
	case stack.Reachable:
		state = nudReachable
	case stack.Stale:
		state = nudStale
	case stack.Delay:
		state = nudDelay
	case stack.Probe:
		state = nudProbe
	case stack.Static:
		state = nudPermanent
	case stack.Unreachable:
		state = nudFailed
	}
	nd := make([]byte, 12) // struct ndmsg
	nd[0] = byte(family)
	binary.LittleEndian.PutUint32(nd[4:], uint32(i.Index))
	binary.LittleEndian.PutUint16(nd[8:], state)
	nd[11] = rtnUnicast
	m := newMessage(linux.RTM_NEWNEIGH, linux.NLM_F_MULTI, seq, pid, nd)
	m.attr(ndaDst, n.Addr.AsSlice())
	if len(n.LinkAddr) != 0 && state&(nudIncomplete|nudFailed) == 0 {
		m.attr(ndaLladdr, []byte(n.LinkAddr))
	}
	return m.bytes()
}
