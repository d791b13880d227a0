package inet

import (
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// ipv6Protocol is IPv6 configured as Linux configures an Ethernet
// interface by default (net/ipv6/addrconf.c): a link-local address from
// the MAC address (EUI-64), router solicitation, and from router
// advertisements default routes, on-link prefixes and an address in each
// advertised prefix (SLAAC); no temporary addresses (use_tempaddr 0).
// Duplicate address detection is off, so addresses are usable at once.
// On QEMU's user network eth0 gets fe80::5054:ff:fe12:3456/64 and
// fec0::5054:ff:fe12:3456/64, fec0::/64 on link and a default route
// through fe80::2. The loopback interface gets none of this.
func ipv6Protocol(s *stack.Stack) stack.NetworkProtocol {
	ndp := ipv6.DefaultNDPConfigurations()
	ndp.AutoGenTempGlobalAddresses = false
	return ipv6.NewProtocolWithOptions(ipv6.Options{
		NDPConfigs:       ndp,
		AutoGenLinkLocal: true,
		NDPDisp:          ndpRoutes{s},
	})(s)
}

// ndpRoutes keeps the routing table in step with what router
// advertisements say (netstack leaves that to its integrator): an
// on-link prefix is a route without a gateway, an off-link route
// (the default route among them) one through the advertising router,
// and each goes when its lifetime ends. The rest of NDP's events need
// nothing.
type ndpRoutes struct{ s *stack.Stack }

var _ ipv6.NDPDispatcher = ndpRoutes{}

func (r ndpRoutes) OnOnLinkPrefixDiscovered(nic tcpip.NICID, prefix tcpip.Subnet) {
	r.s.AddRoute(tcpip.Route{Destination: prefix, NIC: nic})
}

func (r ndpRoutes) OnOnLinkPrefixInvalidated(nic tcpip.NICID, prefix tcpip.Subnet) {
	r.remove(tcpip.Route{Destination: prefix, NIC: nic})
}

// OnOffLinkRouteUpdated is called for a new route and for a known one
// whose preference or lifetime changed: the route is added only once.
func (r ndpRoutes) OnOffLinkRouteUpdated(nic tcpip.NICID, dest tcpip.Subnet, router tcpip.Address, _ header.NDPRoutePreference) {
	route := tcpip.Route{Destination: dest, Gateway: router, NIC: nic}
	r.remove(route)
	r.s.AddRoute(route)
}

func (r ndpRoutes) OnOffLinkRouteInvalidated(nic tcpip.NICID, dest tcpip.Subnet, router tcpip.Address) {
	r.remove(tcpip.Route{Destination: dest, Gateway: router, NIC: nic})
}

func (r ndpRoutes) remove(route tcpip.Route) {
	// tcpip.Route.Equal does not compare gateways.
	r.s.RemoveRoutes(func(x tcpip.Route) bool {
		return x.Destination == route.Destination && x.Gateway == route.Gateway && x.NIC == route.NIC
	})
}

func (ndpRoutes) OnDuplicateAddressDetectionResult(tcpip.NICID, tcpip.Address, stack.DADResult) {}
func (ndpRoutes) OnAutoGenAddress(tcpip.NICID, tcpip.AddressWithPrefix) stack.AddressDispatcher {
	return nil
}
func (ndpRoutes) OnAutoGenAddressDeprecated(tcpip.NICID, tcpip.AddressWithPrefix)        {}
func (ndpRoutes) OnAutoGenAddressInvalidated(tcpip.NICID, tcpip.AddressWithPrefix)       {}
func (ndpRoutes) OnRecursiveDNSServerOption(tcpip.NICID, []tcpip.Address, time.Duration) {}
func (ndpRoutes) OnDNSSearchListOption(tcpip.NICID, []string, time.Duration)             {}
func (ndpRoutes) OnDHCPv6Configuration(tcpip.NICID, ipv6.DHCPv6ConfigurationFromNDPRA)   {}
