// Package inet is oyako's AF_INET and AF_INET6 socket family: TCP, UDP
// and ICMP echo ("ping") sockets on gVisor's netstack
// (gvisor.dev/gvisor/pkg/tcpip), which does the protocols. This package
// owns the one network stack, its interfaces (lo always; eth0 when a
// driver adds one) and the socket layer: the mapping of the socket system
// calls, their flags, options and errors onto netstack endpoints, with
// Linux's semantics (net/ipv4/af_inet.c, net/ipv4/tcp.c, net/ipv4/udp.c,
// net/ipv4/ping.c).
//
// Limits: one network namespace; no routing between interfaces, no
// netfilter, no multicast routing; no urgent data, no MPTCP; raw
// sockets are netstack's (root only).
package inet

import (
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/raw"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// The loopback interface's number and name; eth0 and later interfaces
// are numbered after it, in the order drivers add them.
const (
	LoopbackNIC  tcpip.NICID = 1
	LoopbackName             = "lo"
)

// Linux's defaults that netstack's differ from: net.ipv4.ip_local_port_range
// (the ephemeral ports bind and connect pick from), and net.ipv4.tcp_rmem
// and tcp_wmem (min, default, max).
const (
	EphemeralLow  = 32768
	EphemeralHigh = 60999

	tcpRmemMin, tcpRmemDefault, tcpRmemMax = 4096, 131072, 6291456
	tcpWmemMin, tcpWmemDefault, tcpWmemMax = 4096, 16384, 4194304
)

var (
	stackOnce sync.Once
	theStack  *stack.Stack

	nicMu   sync.Mutex
	nextNIC = LoopbackNIC + 1
	// made is set when the stack is being made; until then the
	// interfaces drivers add wait in pending.
	made    bool
	pending []pendingInterface
)

type pendingInterface struct {
	id  tcpip.NICID
	ifc Interface
}

// Stack returns the network stack, made on first use with the loopback
// interface up (127.0.0.1/8 and ::1/128) and the interfaces drivers
// added: a kernel that never uses the network never pays for it (making
// the stack takes tens of milliseconds under TCG).
func Stack() *stack.Stack {
	stackOnce.Do(func() {
		s := newStack()
		nicMu.Lock()
		made = true
		p := pending
		pending = nil
		nicMu.Unlock()
		for _, pi := range p {
			if err := addInterface(s, pi.id, pi.ifc); err != nil {
				panic("inet: adding " + pi.ifc.Name + ": " + err.Error())
			}
		}
		theStack = s
	})
	return theStack
}

// newStack makes a stack configured as a fresh Linux: IPv4, IPv6 and ARP,
// TCP with SACK and receive-buffer auto-tuning, UDP, ICMP echo sockets,
// raw sockets, Linux's ephemeral port range and buffer sizes, and lo.
func newStack() *stack.Stack {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6Protocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		HandleLocal:        true,
		RawFactory:         raw.EndpointFactory{},
	})
	sack := tcpip.TCPSACKEnabled(true)
	must(s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack))
	// Nagle's algorithm is on unless TCP_NODELAY turns it off
	// (tcp_sock's nonagle starts at 0).
	delay := tcpip.TCPDelayEnabled(true)
	must(s.SetTransportProtocolOption(tcp.ProtocolNumber, &delay))
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	must(s.SetTransportProtocolOption(tcp.ProtocolNumber, &moderate))
	must(s.SetTransportProtocolOption(tcp.ProtocolNumber, &tcpip.TCPReceiveBufferSizeRangeOption{Min: tcpRmemMin, Default: tcpRmemDefault, Max: tcpRmemMax}))
	must(s.SetTransportProtocolOption(tcp.ProtocolNumber, &tcpip.TCPSendBufferSizeRangeOption{Min: tcpWmemMin, Default: tcpWmemDefault, Max: tcpWmemMax}))
	must(s.SetPortRange(EphemeralLow, EphemeralHigh))

	// lo starts disabled, so that its IPv6 endpoint never solicits
	// routers: netstack would send router solicitations on every
	// interface, loopback included (a 48-byte packet in lo's counters
	// within a second of the stack's start); Linux's addrconf does not
	// on lo.
	must(s.CreateNICWithOptions(LoopbackNIC, loopback.New(), stack.NICOptions{Name: LoopbackName, Disabled: true}))
	ep, err := s.GetNetworkEndpoint(LoopbackNIC, ipv6.ProtocolNumber)
	must(err)
	ndp := ipv6.DefaultNDPConfigurations()
	ndp.AutoGenTempGlobalAddresses = false
	ndp.MaxRtrSolicitations = 0
	ep.(ipv6.NDPEndpoint).SetNDPConfigurations(ndp)
	must(s.EnableNIC(LoopbackNIC))
	addAddress(s, LoopbackNIC, tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), 8)
	addAddress(s, LoopbackNIC, tcpip.AddrFrom16([16]byte{15: 1}), 128)
	s.AddRoute(tcpip.Route{Destination: prefix(tcpip.AddrFrom4([4]byte{127}), 8), NIC: LoopbackNIC})
	s.AddRoute(tcpip.Route{Destination: prefix(tcpip.AddrFrom16([16]byte{15: 1}), 128), NIC: LoopbackNIC})
	return s
}

// Interface is what a driver asks for when it brings up a network
// device: a name (eth0), the link endpoint that moves its frames, and
// its static configuration (QEMU's user network: 10.0.2.15/24 by way of
// 10.0.2.2).
type Interface struct {
	Name      string
	Link      stack.LinkEndpoint
	Addr      tcpip.Address // IPv4 address
	PrefixLen int
	Gateway   tcpip.Address // default route's next hop; zero for none
}

// AddInterface adds a network interface to the stack, with its address
// and routes, and returns its number. Before the stack is made (Stack)
// the interface waits and is added when it is: a driver can add its
// device at boot without making the stack. The link endpoint is attached
// (and starts receiving) only then.
func AddInterface(ifc Interface) (tcpip.NICID, error) {
	nicMu.Lock()
	id := nextNIC
	nextNIC++
	if !made {
		pending = append(pending, pendingInterface{id, ifc})
		nicMu.Unlock()
		return id, nil
	}
	nicMu.Unlock()
	if err := addInterface(Stack(), id, ifc); err != nil {
		return 0, err
	}
	return id, nil
}

// addInterface creates NIC id for ifc on s, with its address and routes.
func addInterface(s *stack.Stack, id tcpip.NICID, ifc Interface) error {
	if err := s.CreateNICWithOptions(id, ifc.Link, stack.NICOptions{Name: ifc.Name}); err != nil {
		return ErrnoOf(err)
	}
	if ifc.Addr.Len() != 0 {
		addAddress(s, id, ifc.Addr, ifc.PrefixLen)
		s.AddRoute(tcpip.Route{Destination: prefix(ifc.Addr, ifc.PrefixLen), NIC: id})
	}
	if ifc.Gateway.Len() != 0 {
		s.AddRoute(tcpip.Route{Destination: header4Any(), Gateway: ifc.Gateway, NIC: id})
	}
	return nil
}

func addAddress(s *stack.Stack, id tcpip.NICID, a tcpip.Address, prefixLen int) {
	proto := ipv4.ProtocolNumber
	if a.Len() == 16 {
		proto = ipv6.ProtocolNumber
	}
	must(s.AddProtocolAddress(id, tcpip.ProtocolAddress{
		Protocol:          proto,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: a, PrefixLen: prefixLen},
	}, stack.AddressProperties{}))
}

// prefix is the subnet of a's first n bits.
func prefix(a tcpip.Address, n int) tcpip.Subnet {
	return tcpip.AddressWithPrefix{Address: a, PrefixLen: n}.Subnet()
}

// header4Any is 0.0.0.0/0, the IPv4 default route's destination.
func header4Any() tcpip.Subnet {
	return prefix(tcpip.AddrFrom4([4]byte{}), 0)
}

// must panics on an error of the stack's set-up, which only a bug in
// this file can cause.
func must(err tcpip.Error) {
	if err != nil {
		panic("inet: stack set-up: " + err.String())
	}
}
